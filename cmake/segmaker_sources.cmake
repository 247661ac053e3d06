# How the library is built: one static library per area (src/<area>/CMakeLists.txt calls
# segmaker_add_area), all of them behind the INTERFACE target segmaker_lib; and one precompiled
# <torch/torch.h> shared by every target, applied only to the sources that use LibTorch, directly
# (#include <torch/…>) or through one of our headers that does. Every other file compiles without
# it (and fast).

# Settings every area shares: our include root, the generated protobuf headers' folder, LibTorch's
# ABI flags (they must match across everything linked together), the version string.
add_library(segmaker_common INTERFACE)
target_include_directories(segmaker_common INTERFACE ${PROJECT_SOURCE_DIR}/src)
target_compile_options(segmaker_common INTERFACE ${SEGMAKER_TORCH_FLAGS})
target_compile_definitions(segmaker_common INTERFACE USE_C10D_GLOO SEGMAKER_VERSION="${PROJECT_VERSION}")
target_link_libraries(segmaker_common INTERFACE Threads::Threads)

# segmaker_add_area(<area> SOURCES a.cpp … [PUBLIC_LIBS …] [PRIVATE_LIBS …])
# Defines the static library segmaker_<area> (output libsegmaker_<area>.a) from the listed sources of
# the calling folder. PUBLIC_LIBS: the lower areas and third-party libraries the area's headers need
# (its users get them too); PRIVATE_LIBS: what only its .cpp files use. segmaker_lib links every area.
function(segmaker_add_area area)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target segmaker_${area})
  set(sources "")
  foreach(src ${ARG_SOURCES})
    if(IS_ABSOLUTE ${src})
      list(APPEND sources ${src})
    else()
      list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${src})
    endif()
  endforeach()
  add_library(${target} STATIC ${sources})
  target_link_libraries(${target} PUBLIC segmaker_common ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  segmaker_torch_pch(${target} "${sources}")
  set_property(GLOBAL APPEND PROPERTY SEGMAKER_AREA_TARGETS ${target})
endfunction()

# Our headers (relative to src/) that pull in LibTorch, found by a fixed-point scan.
function(segmaker_find_torch_headers out_var)
  file(GLOB_RECURSE headers ${PROJECT_SOURCE_DIR}/src/*.h)
  set(torch_headers "")
  set(changed TRUE)
  while(changed)
    set(changed FALSE)
    foreach(header ${headers})
      file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/src ${header})
      if(rel IN_LIST torch_headers)
        continue()
      endif()
      segmaker_uses_torch(${header} "${torch_headers}" uses)
      if(uses)
        list(APPEND torch_headers ${rel})
        set(changed TRUE)
      endif()
    endforeach()
  endwhile()
  set(${out_var} "${torch_headers}" PARENT_SCOPE)
endfunction()

function(segmaker_uses_torch file torch_headers out_var)
  file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${includes})
    if(line MATCHES "<torch/")
      set(${out_var} TRUE PARENT_SCOPE)
      return()
    endif()
    if(line MATCHES "\"([^\"]+)\"")
      if(CMAKE_MATCH_1 IN_LIST torch_headers)
        set(${out_var} TRUE PARENT_SCOPE)
        return()
      endif()
    endif()
  endforeach()
  set(${out_var} FALSE PARENT_SCOPE)
endfunction()

# The one precompiled <torch/torch.h> (each costs ~30 s of a CI build): built by a small object
# library with the flags every target shares, reused by all the others.
if(SEGMAKER_USE_PCH)
  add_library(segmaker_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
  target_link_libraries(segmaker_torch_pch PRIVATE segmaker_common ${TORCH_LIBRARIES})
  target_include_directories(segmaker_torch_pch SYSTEM PRIVATE ${TORCH_INCLUDE_DIRS})
  target_precompile_headers(segmaker_torch_pch PRIVATE <torch/torch.h>)
endif()

# Applies the shared precompiled header to the sources of `target` that use LibTorch (the others
# are marked to skip it). A third argument, once the name of a target to reuse from, is accepted
# and ignored: every target reuses the one above.
function(segmaker_torch_pch target sources)
  if(NOT SEGMAKER_USE_PCH)
    return()
  endif()
  if(NOT DEFINED SEGMAKER_TORCH_HEADERS_FOUND)
    segmaker_find_torch_headers(found)
    set(SEGMAKER_TORCH_HEADERS "${found}" CACHE INTERNAL "")
    set(SEGMAKER_TORCH_HEADERS_FOUND TRUE)
  endif()
  set(any FALSE)
  foreach(src ${sources})
    segmaker_uses_torch(${src} "${SEGMAKER_TORCH_HEADERS}" uses)
    if(uses)
      set(any TRUE)
    else()
      set_source_files_properties(${src} TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
  if(any)
    target_precompile_headers(${target} REUSE_FROM segmaker_torch_pch)
  endif()
endfunction()
