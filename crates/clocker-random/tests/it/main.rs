//! The random service over real gRPC on 127.0.0.1:0.

mod grpc;
