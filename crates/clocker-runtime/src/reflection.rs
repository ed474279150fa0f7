//! gRPC server reflection (`v1` and `v1alpha`) of one port, so grpcurl,
//! grpcui and Postman discover its API without the `.proto` files.

/// A reflection builder that advertises exactly what this port serves: the
/// service's own gRPC services, health, and both reflection versions.
pub(crate) fn reflection<'a>(
    descriptor_sets: &[&'a [u8]],
    names: &[&'static str],
) -> tonic_reflection::server::Builder<'a> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET);
    for set in descriptor_sets {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    let served = names.iter().copied().chain([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]);
    for name in served {
        builder = builder.with_service_name(name);
    }
    builder
}
