# Install rules (layout: cmake/KpgInstallDirs.cmake). Components:
#   kpg_runtime  the kpg executable and the data it reads at run time (kernels, configs)
#   kpg_docs     README.md and docs/
# `cmake --install build --component kpg_runtime` installs a working kpg alone.
# A library and its CMake package join as a third component, kpg_development: headers,
# `install(TARGETS <library> EXPORT kpgTargets ...)`, `install(EXPORT kpgTargets
# NAMESPACE kpg:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kpg)` and a kpg-config.cmake
# beside it.

# libnvrtc is linked by its full path inside the CUDA toolkit: keep that folder on the
# installed binary's run path, as the build tree's binary has it.
set_target_properties(kpg PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS kpg
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT kpg_runtime)

install(DIRECTORY "${KPG_SOURCE_KERNELS_DIR}/"
  DESTINATION "${KPG_INSTALL_DATADIR}/kernels_src" COMPONENT kpg_runtime)
install(DIRECTORY "${KPG_SOURCE_CONFIGS_DIR}/"
  DESTINATION "${KPG_INSTALL_DATADIR}/configs" COMPONENT kpg_runtime)

install(FILES "${PROJECT_SOURCE_DIR}/README.md"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT kpg_docs)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT kpg_docs)
