//! `deploy/k8s/`: per service a Deployment, a Service, a PodDisruptionBudget,
//! probes that ask what the service serves; HPAs for the stateless HTTP ones.

use std::collections::BTreeSet;

use clocker_fleet::ServiceName;
use clocker_runtime::{LIVENESS_PATH, LIVENESS_SERVICE, READINESS_PATH};
use serde_json::Value;

use crate::files::{
    assert_serves, parse_serve, required_addresses, strings, text, uses_postgres, yaml_documents,
};

pub const DIR: &str = "deploy/k8s";

/// One object of the manifests, with the file it came from.
#[derive(Debug)]
pub struct Object {
    pub file: String,
    pub value: Value,
}

impl Object {
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// "deploy/k8s/hours.yaml, Deployment hours", for failure messages.
    pub fn what(&self) -> String {
        format!("{}, {} {}", self.file, self.kind(), self.name())
    }
}

/// Every object of every file `deploy/k8s/kustomization.yaml` lists.
pub fn manifests() -> Vec<Object> {
    let kustomization = format!("{DIR}/kustomization.yaml");
    let documents = yaml_documents(&kustomization);
    let resources = strings(
        documents
            .first()
            .and_then(|doc| doc.get("resources"))
            .unwrap_or_else(|| panic!("{kustomization}: no resources")),
        &kustomization,
    );
    resources
        .iter()
        .flat_map(|resource| {
            let file = format!("{DIR}/{resource}");
            assert!(
                crate::files::repo().join(&file).is_file(),
                "{kustomization}: lists {resource}, which is not a file in {DIR}"
            );
            yaml_documents(&file).into_iter().map(move |value| Object {
                file: file.clone(),
                value,
            })
        })
        .collect()
}

pub fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Object {
    objects
        .iter()
        .find(|object| object.kind() == kind && object.name() == name)
        .unwrap_or_else(|| {
            panic!("{DIR}: no {kind} named {name} in the files kustomization.yaml lists")
        })
}

/// The Deployment's container that runs the service (the only one, or the one named so).
fn container(deployment: &Object, name: ServiceName) -> &Value {
    let containers = deployment
        .value
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{}: no containers", deployment.what()));
    match containers.as_slice() {
        [only] => only,
        several => several
            .iter()
            .find(|container| container.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{}: no container named {name}", deployment.what())),
    }
}

/// The container port `port` (a number, or a port's name) designates.
fn container_port(container: &Value, port: &Value, what: &str) -> u16 {
    if let Some(number) = port.as_u64() {
        return u16::try_from(number).unwrap_or_else(|_| panic!("{what}: port {number}"));
    }
    let name = port
        .as_str()
        .unwrap_or_else(|| panic!("{what}: a port should be a number or a name, not {port}"));
    container
        .get("ports")
        .and_then(Value::as_array)
        .and_then(|ports| {
            ports
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        })
        .and_then(|p| p.get("containerPort").and_then(Value::as_u64))
        .and_then(|n| u16::try_from(n).ok())
        .unwrap_or_else(|| panic!("{what}: the container has no port named {name}"))
}

fn labels_select(selector: &Value, labels: &Value) -> bool {
    selector.as_object().is_some_and(|selector| {
        !selector.is_empty()
            && selector
                .iter()
                .all(|(key, value)| labels.get(key) == Some(value))
    })
}

fn template_labels(deployment: &Object) -> &Value {
    deployment
        .value
        .pointer("/spec/template/metadata/labels")
        .unwrap_or_else(|| panic!("{}: its pods have no labels", deployment.what()))
}

#[test]
fn every_service_has_a_deployment_running_a_command_clocker_accepts() {
    let objects = manifests();
    for name in ServiceName::ALL {
        let deployment = find(&objects, "Deployment", name.as_str());
        let what = deployment.what();
        let container = container(deployment, name);
        if let Some(command) = container.get("command") {
            assert_eq!(
                strings(command, &what),
                ["clocker"],
                "{what}: command should be the image's entrypoint, clocker (or left out)"
            );
        }
        let args = strings(
            container
                .get("args")
                .unwrap_or_else(|| panic!("{what}: no args (the image's default runs the funnel)")),
            &what,
        );
        let serve = parse_serve(&args, &what);
        assert_serves(&serve, name, &what);
        if name == ServiceName::Funnel {
            for (flag, url) in [
                ("--gateway-url", &serve.gateway_url),
                ("--stream-url", &serve.stream_url),
            ] {
                assert_eq!(
                    url.as_deref(),
                    Some("/"),
                    "{what}: behind the Ingress the page must call the gateway and the stream on its own origin ({flag} /)"
                );
            }
        }
        let env: Vec<(String, String)> = container
            .get("env")
            .and_then(Value::as_array)
            .map(|env| {
                env.iter()
                    .filter_map(|var| {
                        Some((
                            var.get("name")?.as_str()?.to_owned(),
                            var.get("value")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (variable, value) in required_addresses(name) {
            assert!(
                env.contains(&(variable.clone(), value.clone())),
                "{what}: env should set {variable}={value} (the Service's name and port; env: {env:?})"
            );
        }
        if uses_postgres(name) {
            assert_postgres_settings(&objects, deployment, container);
        }
    }
}

/// Accounts and timers get every POSTGRES_* setting from a Secret that exists.
fn assert_postgres_settings(objects: &[Object], deployment: &Object, container: &Value) {
    let what = deployment.what();
    let mut given = BTreeSet::new();
    for source in container
        .get("envFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(secret) = source.pointer("/secretRef/name").and_then(Value::as_str) {
            let secret = find(objects, "Secret", secret);
            for field in ["stringData", "data"] {
                if let Some(keys) = secret.value.get(field).and_then(Value::as_object) {
                    given.extend(keys.keys().cloned());
                }
            }
        }
    }
    for var in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(secret) = var
            .pointer("/valueFrom/secretKeyRef/name")
            .and_then(Value::as_str)
        {
            find(objects, "Secret", secret);
            given.insert(text(var, "/name", &what).to_owned());
        }
    }
    for setting in [
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_DATABASE",
    ] {
        assert!(
            given.contains(setting),
            "{what}: {setting} should come from a Secret (envFrom or secretKeyRef); given: {given:?}"
        );
    }
}

#[test]
fn every_service_has_a_service_with_its_ports_named() {
    let objects = manifests();
    for name in ServiceName::ALL {
        let deployment = find(&objects, "Deployment", name.as_str());
        let container = container(deployment, name);
        let service = find(&objects, "Service", name.as_str());
        let what = service.what();
        assert!(
            labels_select(
                service
                    .value
                    .pointer("/spec/selector")
                    .unwrap_or(&Value::Null),
                template_labels(deployment)
            ),
            "{what}: its selector does not select the pods of {}",
            deployment.what()
        );
        let ports = service
            .value
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{what}: no ports"));
        let mut wanted = vec![name.default_port()];
        if name == ServiceName::Timers {
            wanted.push(8888);
        }
        for port in wanted {
            let entry = ports
                .iter()
                .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(port)))
                .unwrap_or_else(|| panic!("{what}: no port {port}"));
            assert!(
                entry.get("name").and_then(Value::as_str).is_some(),
                "{what}: port {port} has no name"
            );
            let target = entry
                .get("targetPort")
                .unwrap_or(&Value::from(port))
                .clone();
            assert_eq!(
                container_port(container, &target, &what),
                port,
                "{what}: port {port} does not lead to the container's port {port}"
            );
        }
    }
}

#[test]
fn readiness_probes_ask_readiness_and_liveness_probes_liveness() {
    let objects = manifests();
    for name in ServiceName::ALL {
        let deployment = find(&objects, "Deployment", name.as_str());
        let container = container(deployment, name);
        // What each probe asks: the HTTP path, or the gRPC health service
        // name (none: the server's own, "").
        for (kind, path, grpc_service) in [
            ("readinessProbe", READINESS_PATH, None),
            ("livenessProbe", LIVENESS_PATH, Some(LIVENESS_SERVICE)),
        ] {
            let what = format!("{}, {kind}", deployment.what());
            let probe = container
                .get(kind)
                .unwrap_or_else(|| panic!("{what}: missing"));
            if name.speaks_http() {
                let get = probe.get("httpGet").unwrap_or_else(|| {
                    panic!("{what}: {name} speaks HTTP: the probe should be httpGet {path}, not {probe}")
                });
                assert_eq!(text(get, "/path", &what), path, "{what}: path");
                let port = get.get("port").unwrap_or_else(|| panic!("{what}: no port"));
                assert_eq!(
                    container_port(container, port, &what),
                    name.default_port(),
                    "{what}: port"
                );
            } else {
                let grpc = probe.get("grpc").unwrap_or_else(|| {
                    panic!("{what}: {name} speaks gRPC: the probe should be Kubernetes' grpc probe, not {probe}")
                });
                assert_eq!(
                    grpc.get("port").and_then(Value::as_u64),
                    Some(u64::from(name.default_port())),
                    "{what}: a grpc probe takes the port number, {}",
                    name.default_port()
                );
                assert_eq!(
                    grpc.get("service").and_then(Value::as_str),
                    grpc_service,
                    "{what}: the grpc probe's service"
                );
            }
        }
    }
}

#[test]
fn pods_are_sized_and_run_unprivileged_on_a_read_only_root() {
    let objects = manifests();
    for name in ServiceName::ALL {
        let deployment = find(&objects, "Deployment", name.as_str());
        let what = deployment.what();
        let container = container(deployment, name);
        for setting in [
            "/resources/requests/cpu",
            "/resources/requests/memory",
            "/resources/limits/cpu",
            "/resources/limits/memory",
        ] {
            assert!(container.pointer(setting).is_some(), "{what}: no {setting}");
        }
        let pod = deployment
            .value
            .pointer("/spec/template/spec/securityContext/runAsNonRoot");
        let own = container.pointer("/securityContext/runAsNonRoot");
        assert!(
            own.or(pod) == Some(&Value::Bool(true)),
            "{what}: runAsNonRoot should be true"
        );
        for (setting, wanted) in [
            ("readOnlyRootFilesystem", true),
            ("allowPrivilegeEscalation", false),
        ] {
            assert_eq!(
                container.pointer(&format!("/securityContext/{setting}")),
                Some(&Value::Bool(wanted)),
                "{what}: the container's securityContext should set {setting}: {wanted}"
            );
        }
    }
}

#[test]
fn every_deployment_has_a_disruption_budget() {
    let objects = manifests();
    for deployment in objects
        .iter()
        .filter(|object| object.kind() == "Deployment")
    {
        let labels = template_labels(deployment);
        let budget = objects
            .iter()
            .filter(|object| object.kind() == "PodDisruptionBudget")
            .find(|budget| {
                labels_select(
                    budget
                        .value
                        .pointer("/spec/selector/matchLabels")
                        .unwrap_or(&Value::Null),
                    labels,
                )
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: no PodDisruptionBudget selects its pods",
                    deployment.what()
                )
            });
        assert!(
            budget.value.pointer("/spec/minAvailable").is_some()
                || budget.value.pointer("/spec/maxUnavailable").is_some(),
            "{}: says neither minAvailable nor maxUnavailable",
            budget.what()
        );
    }
}

#[test]
fn funnel_gateway_and_stream_alone_scale_on_cpu() {
    let objects = manifests();
    let mut scaled = BTreeSet::new();
    for hpa in objects
        .iter()
        .filter(|object| object.kind() == "HorizontalPodAutoscaler")
    {
        let what = hpa.what();
        assert_eq!(
            text(&hpa.value, "/apiVersion", &what),
            "autoscaling/v2",
            "{what}: apiVersion"
        );
        assert_eq!(
            text(&hpa.value, "/spec/scaleTargetRef/kind", &what),
            "Deployment",
            "{what}"
        );
        let target = text(&hpa.value, "/spec/scaleTargetRef/name", &what).to_owned();
        let on_cpu = hpa
            .value
            .pointer("/spec/metrics")
            .and_then(Value::as_array)
            .is_some_and(|metrics| {
                metrics.iter().any(|metric| {
                    metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
                })
            });
        assert!(on_cpu, "{what}: should scale on the cpu resource metric");
        let deployment = find(&objects, "Deployment", &target);
        assert!(
            deployment.value.pointer("/spec/replicas").is_none(),
            "{}: sets replicas, which every apply would reset under the HPA that owns them",
            deployment.what()
        );
        scaled.insert(target);
    }
    let wanted: BTreeSet<String> = ["funnel", "gateway", "stream"].map(String::from).into();
    assert_eq!(
        scaled, wanted,
        "{DIR}: HorizontalPodAutoscalers should target exactly these Deployments"
    );
}

#[test]
fn timers_run_two_replicas() {
    let objects = manifests();
    let timers = find(&objects, "Deployment", "timers");
    assert_eq!(
        timers
            .value
            .pointer("/spec/replicas")
            .and_then(Value::as_u64),
        Some(2),
        "{}: two replicas (one schedules, the other takes over)",
        timers.what()
    );
}
