//! The deployment files against the code they deploy: `deploy/Dockerfile`,
//! `deploy/compose.yaml` and the manifests `deploy/k8s/kustomization.yaml`
//! lists, checked for every service in [`ServiceName::ALL`] — commands the
//! real `clocker` command line accepts, ports, probes, requirements, the
//! Ingress's routes — and `clocker health`, which their healthchecks run.
//! Nothing here needs docker or kubectl.

mod compose;
mod files;
mod health;
mod image;
mod ingress;
mod kubernetes;
mod network;
