//! Start order: every service after everything it requires.

use crate::ServiceName;

/// The services' requirements loop back on themselves.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("services require each other in a cycle: {}", .0.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" -> "))]
pub struct DependencyCycle(pub Vec<ServiceName>);

/// `services` plus everything they require, ordered so that each service
/// comes after what it requires (ties keep the order given).
pub fn start_order(
    services: &[ServiceName],
    requires: impl Fn(ServiceName) -> Vec<ServiceName>,
) -> Result<Vec<ServiceName>, DependencyCycle> {
    let mut ordered = Vec::new();
    let mut path = Vec::new();
    for &service in services {
        visit(service, &requires, &mut path, &mut ordered)?;
    }
    Ok(ordered)
}

fn visit(
    service: ServiceName,
    requires: &impl Fn(ServiceName) -> Vec<ServiceName>,
    path: &mut Vec<ServiceName>,
    ordered: &mut Vec<ServiceName>,
) -> Result<(), DependencyCycle> {
    if ordered.contains(&service) {
        return Ok(());
    }
    if let Some(start) = path.iter().position(|s| *s == service) {
        let mut cycle = path[start..].to_vec();
        cycle.push(service);
        return Err(DependencyCycle(cycle));
    }
    path.push(service);
    for required in requires(service) {
        visit(required, requires, path, ordered)?;
    }
    path.pop();
    ordered.push(service);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServiceName::*;

    #[test]
    fn the_fleet_starts_current_time_first_and_the_funnel_last() {
        let order = start_order(&[Funnel, Hours], ServiceName::requires).expect("no cycle");
        assert_eq!(order.first(), Some(&CurrentTime));
        assert_eq!(order.last(), Some(&Funnel));
        assert_eq!(order.len(), 6, "{order:?}");
    }

    #[test]
    fn the_front_doors_start_after_every_service_they_call() {
        let order = start_order(&ServiceName::ALL, ServiceName::requires).expect("no cycle");
        let position = |name| order.iter().position(|s| *s == name).expect("started");
        assert_eq!(order.len(), ServiceName::ALL.len());
        assert!(position(Accounts) < position(Timers), "{order:?}");
        for front in [Gateway, Stream] {
            for called in [Random, Timers, Accounts, CurrentTime] {
                if ServiceName::requires(front).contains(&called) {
                    assert!(position(called) < position(front), "{order:?}");
                }
            }
        }
    }

    #[test]
    fn a_subset_brings_what_it_requires() {
        let order = start_order(&[Minutes], ServiceName::requires).expect("no cycle");
        assert_eq!(order, [CurrentTime, Minutes]);
    }

    #[test]
    fn a_cycle_is_an_error_naming_it() {
        fn cyclic(service: ServiceName) -> Vec<ServiceName> {
            match service {
                Hours => vec![Minutes],
                Minutes => vec![Seconds],
                Seconds => vec![Hours],
                _ => Vec::new(),
            }
        }
        let err = start_order(&[CurrentTime, Hours], cyclic).expect_err("a cycle");
        assert_eq!(err.0, [Hours, Minutes, Seconds, Hours]);
        assert_eq!(
            err.to_string(),
            "services require each other in a cycle: hours -> minutes -> seconds -> hours"
        );
    }
}
