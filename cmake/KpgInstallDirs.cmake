# Where an install puts kpg (GNUInstallDirs; `cmake --install build --prefix DIR`):
#   bin/kpg                       the command line
#   share/kpg/kernels_src         kernel sources and headers, compiled at run time by NVRTC
#   share/kpg/configs             op configs
#   share/doc/kpg                 README.md and docs/ (as share/doc/kpg/docs, so links hold)
# The installed kpg finds its data relative to its own folder (runtime/paths.cpp), so a
# prefix can be moved or copied whole. Included before the targets: runtime/ compiles
# KPG_INSTALL_DATA_FROM_BIN into the path lookup.
include(GNUInstallDirs)

set(KPG_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/kpg")

# bin/ -> share/kpg as a relative path ("../share/kpg" by default). With the default,
# relative folders it holds for any --prefix given at install time.
file(RELATIVE_PATH KPG_INSTALL_DATA_FROM_BIN "${CMAKE_INSTALL_FULL_BINDIR}"
     "${CMAKE_INSTALL_FULL_DATADIR}/kpg")
