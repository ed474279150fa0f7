//! `deploy/k8s/network-policies.yaml` against the requirement table
//! (`clocker::requires`): each service's pods reach exactly what it requires
//! (plus DNS, and PostgreSQL for accounts and timers) and are reached only by
//! the services that require it (plus the ingress controller for the HTTP
//! doors).

use std::collections::BTreeSet;

use clocker_fleet::ServiceName;
use serde_json::Value;

use crate::files::uses_postgres;
use crate::kubernetes::{DIR, Object, manifests};

/// One allowed flow: the peer (`service NAME`, `dns`, `ingress-controller`,
/// `anywhere`), the port and the protocol.
type Flow = (String, u64, String);

const NAME_LABEL: &str = "app.kubernetes.io/name";

/// What a `from`/`to` entry names.
fn peer(entry: &Value) -> String {
    let labels = |selector: &str| entry.pointer(&format!("/{selector}/matchLabels")).cloned();
    match (labels("namespaceSelector"), labels("podSelector")) {
        (None, Some(pod)) if pod.as_object().is_some_and(|map| map.len() == 1) => {
            match pod.get(NAME_LABEL).and_then(Value::as_str) {
                Some(name) => format!("service {name}"),
                None => entry.to_string(),
            }
        }
        (Some(namespace), Some(pod))
            if namespace.get("kubernetes.io/metadata.name") == Some(&"kube-system".into())
                && pod.get("k8s-app") == Some(&"kube-dns".into()) =>
        {
            "dns".to_owned()
        }
        (Some(namespace), None)
            if namespace.get("kubernetes.io/metadata.name") == Some(&"ingress-nginx".into()) =>
        {
            "ingress-controller".to_owned()
        }
        _ => entry.to_string(),
    }
}

/// Every (peer, port, protocol) the rules of `direction` (`ingress` or
/// `egress`, whose peers are under `from` or `to`) allow.
fn flows(policy: &Value, direction: &str, peers: &str) -> BTreeSet<Flow> {
    let mut flows = BTreeSet::new();
    for rule in policy
        .pointer(&format!("/spec/{direction}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let named: Vec<String> = match rule.get(peers).and_then(Value::as_array) {
            Some(entries) => entries.iter().map(peer).collect(),
            None => vec!["anywhere".to_owned()],
        };
        let ports: Vec<(u64, String)> = match rule.get("ports").and_then(Value::as_array) {
            Some(ports) => ports
                .iter()
                .map(|port| {
                    (
                        port.get("port").and_then(Value::as_u64).unwrap_or(0),
                        port.get("protocol")
                            .and_then(Value::as_str)
                            .unwrap_or("TCP")
                            .to_owned(),
                    )
                })
                .collect(),
            None => vec![(0, "any".to_owned())],
        };
        for peer in &named {
            for (port, protocol) in &ports {
                flows.insert((peer.clone(), *port, protocol.clone()));
            }
        }
    }
    flows
}

fn tcp(peer: String, port: u16) -> Flow {
    (peer, u64::from(port), "TCP".to_owned())
}

/// What `name` may send: its requirements on their ports, DNS, PostgreSQL.
fn wanted_egress(name: ServiceName) -> BTreeSet<Flow> {
    let mut wanted: BTreeSet<Flow> = name
        .requires()
        .iter()
        .map(|required| tcp(format!("service {required}"), required.default_port()))
        .collect();
    wanted.insert(("dns".to_owned(), 53, "UDP".to_owned()));
    wanted.insert(tcp("dns".to_owned(), 53));
    if uses_postgres(name) {
        wanted.insert(tcp("anywhere".to_owned(), 5432));
    }
    wanted
}

/// Who may reach `name`: the services that require it, and the ingress
/// controller for the HTTP doors, on its port.
fn wanted_ingress(name: ServiceName) -> BTreeSet<Flow> {
    let mut wanted: BTreeSet<Flow> = ServiceName::ALL
        .iter()
        .filter(|other| other.requires().contains(&name))
        .map(|other| tcp(format!("service {other}"), name.default_port()))
        .collect();
    if name.speaks_http() {
        wanted.insert(tcp("ingress-controller".to_owned(), name.default_port()));
    }
    wanted
}

/// Every way the NetworkPolicies among `objects` differ from the
/// requirement table, one line each.
fn policy_problems(objects: &[Object]) -> Vec<String> {
    let mut problems = Vec::new();
    for name in ServiceName::ALL {
        let Some(policy) = objects
            .iter()
            .find(|object| object.kind() == "NetworkPolicy" && object.name() == name.as_str())
        else {
            problems.push(format!("{DIR}: no NetworkPolicy named {name}"));
            continue;
        };
        let what = policy.what();
        let selected = policy
            .value
            .pointer(&format!(
                "/spec/podSelector/matchLabels/{}",
                NAME_LABEL.replace('/', "~1")
            ))
            .and_then(Value::as_str);
        if selected != Some(name.as_str()) {
            problems.push(format!("{what}: selects {selected:?}, not {name}'s pods"));
        }
        let types: BTreeSet<&str> = policy
            .value
            .pointer("/spec/policyTypes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if types != BTreeSet::from(["Egress", "Ingress"]) {
            problems.push(format!(
                "{what}: policyTypes {types:?}, not Ingress and Egress"
            ));
        }
        for (direction, peers, wanted) in [
            ("egress", "to", wanted_egress(name)),
            ("ingress", "from", wanted_ingress(name)),
        ] {
            let got = flows(&policy.value, direction, peers);
            if got != wanted {
                problems.push(format!(
                    "{what}: {direction} allows {:?} too much and {:?} too little",
                    got.difference(&wanted).collect::<Vec<_>>(),
                    wanted.difference(&got).collect::<Vec<_>>()
                ));
            }
        }
    }
    problems
}

#[test]
fn every_service_talks_to_exactly_what_it_requires() {
    let problems = policy_problems(&manifests());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_policy_that_drifts_from_the_requirements_is_caught() {
    let objects = manifests();
    let broken = |change: &dyn Fn(&mut Value)| {
        let mut copy: Vec<Object> = objects
            .iter()
            .map(|object| Object {
                file: object.file.clone(),
                value: object.value.clone(),
            })
            .collect();
        let policy = copy
            .iter_mut()
            .find(|object| object.kind() == "NetworkPolicy" && object.name() == "gateway")
            .expect("gateway's policy");
        change(&mut policy.value);
        policy_problems(&copy)
    };
    let lost_a_requirement = broken(&|policy| {
        if let Some(rules) = policy
            .pointer_mut("/spec/egress")
            .and_then(Value::as_array_mut)
        {
            rules.remove(0);
        }
    });
    assert_eq!(lost_a_requirement.len(), 1, "{lost_a_requirement:?}");
    let open_to_all = broken(&|policy| {
        if let Some(rules) = policy
            .pointer_mut("/spec/ingress")
            .and_then(Value::as_array_mut)
        {
            rules.push(serde_json::json!({"ports": [{"port": 8081}]}));
        }
    });
    assert_eq!(open_to_all.len(), 1, "{open_to_all:?}");
    let gone = broken(&|policy| policy["metadata"]["name"] = "gateway-old".into());
    assert_eq!(gone, [format!("{DIR}: no NetworkPolicy named gateway")]);
}
