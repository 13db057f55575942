# The generated code of proto/, in two static libraries: regent_proto_messages (the protobuf
# messages only: what the node core and the state machine decode, built in every tree, the
# sanitizer ones included) and regent_proto (the gRPC services on top, for transport/ and the
# server's API). Generation runs at build time from Debian's protoc and grpc_cpp_plugin, into the
# build tree (never committed). Headers are included by their path under proto/:
# "etcdserverpb/rpc.pb.h", "regentpb/peer.grpc.pb.h".
find_package(Protobuf REQUIRED)      # CMake's FindProtobuf over Debian's libprotobuf-dev

# regent_add_proto_messages(): regent_proto_messages.
function(regent_add_proto_messages)
  set(proto_dir "${PROJECT_SOURCE_DIR}/proto")
  set(out_dir "${PROJECT_BINARY_DIR}/proto-messages")
  file(GLOB_RECURSE protos CONFIGURE_DEPENDS RELATIVE "${proto_dir}" "${proto_dir}/*.proto")
  set(generated "")
  foreach(proto IN LISTS protos)
    string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
    set(outputs "${out_dir}/${stem}.pb.cc" "${out_dir}/${stem}.pb.h")
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
      COMMAND protobuf::protoc -I "${proto_dir}" --cpp_out "${out_dir}" "${proto_dir}/${proto}"
      DEPENDS "${proto_dir}/${proto}" protobuf::protoc
      COMMENT "protoc ${proto} (messages)"
      VERBATIM)
    list(APPEND generated ${outputs})
  endforeach()
  add_library(regent_proto_messages STATIC ${generated})
  target_include_directories(regent_proto_messages SYSTEM PUBLIC "${out_dir}")
  target_link_libraries(regent_proto_messages PUBLIC protobuf::libprotobuf)
  target_compile_options(regent_proto_messages PRIVATE -w)
endfunction()

# regent_add_proto_library(): regent_proto, the gRPC services (stubs and service bases) over
# regent_proto_messages.
function(regent_add_proto_library)
  find_package(gRPC CONFIG REQUIRED)   # Debian's libgrpc++-dev ships gRPCConfig.cmake
  find_package(absl CONFIG REQUIRED)   # gRPC's own dependency (libabsl-dev); the programs tune it
  find_program(REGENT_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
  set(proto_dir "${PROJECT_SOURCE_DIR}/proto")
  set(out_dir "${PROJECT_BINARY_DIR}/proto")
  file(GLOB_RECURSE protos CONFIGURE_DEPENDS RELATIVE "${proto_dir}" "${proto_dir}/*.proto")
  set(generated "")
  foreach(proto IN LISTS protos)
    string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
    set(outputs "${out_dir}/${stem}.grpc.pb.cc" "${out_dir}/${stem}.grpc.pb.h")
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
      COMMAND protobuf::protoc -I "${proto_dir}" --grpc_out "${out_dir}"
              "--plugin=protoc-gen-grpc=${REGENT_GRPC_CPP_PLUGIN}" "${proto_dir}/${proto}"
      DEPENDS "${proto_dir}/${proto}" protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND generated ${outputs})
  endforeach()
  add_library(regent_proto STATIC ${generated})
  # Generated code is not ours to keep warning-free: system include keeps -Werror off it for users.
  target_include_directories(regent_proto SYSTEM PUBLIC "${out_dir}")
  target_link_libraries(regent_proto PUBLIC regent_proto_messages gRPC::grpc++)
  target_compile_options(regent_proto PRIVATE -w)
endfunction()
