# Install rules (layout: cmake/KpgInstallDirs.cmake). Components:
#   kpg_runtime      the kpg executable, libkpg.so.N and the data both read at run time
#                    (kernels, configs)
#   kpg_development  include/kpg/, the libkpg.so link and the CMake package (find_package(kpg))
#   kpg_docs         README.md and docs/
# `cmake --install build --component kpg_runtime` installs a working kpg alone.

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

# The library (lib/CMakeLists.txt) and its CMake package: find_package(kpg) gives kpg::kpg,
# which needs only the CUDA toolkit's headers (CUDA::toolkit) besides itself.
include(CMakePackageConfigHelpers)
install(TARGETS kpg_lib EXPORT kpgTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT kpg_runtime NAMELINK_COMPONENT kpg_development)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/kpg"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT kpg_development)
install(EXPORT kpgTargets NAMESPACE kpg::
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kpg" COMPONENT kpg_development)
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/kpg-config.cmake.in"
  "${PROJECT_BINARY_DIR}/kpg-config.cmake" INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kpg")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/kpg-config-version.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/kpg-config.cmake" "${PROJECT_BINARY_DIR}/kpg-config-version.cmake"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kpg" COMPONENT kpg_development)
