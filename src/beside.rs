//! Work on a second thread of a scope, for the stages that can overlap (the machine ferry is
//! measured on has two cores), with the same result when no thread can be started.

use std::thread::{Scope, ScopedJoinHandle};

/// Start `work` on a thread of `scope` named `name`. The returned closure gives its result: it
/// waits for the thread (and passes on a panic), or runs `work` right there when no thread could
/// be started. Either way the result is the same.
pub(crate) fn start<'scope, T, F>(
    scope: &'scope Scope<'scope, '_>,
    name: &str,
    work: F,
) -> impl FnOnce() -> T + 'scope
where
    T: Send + 'scope,
    F: FnOnce() -> T + Send + Clone + 'scope,
{
    let started: Option<ScopedJoinHandle<'scope, T>> = std::thread::Builder::new()
        .name(name.into())
        .spawn_scoped(scope, work.clone())
        .ok();
    move || match started {
        Some(handle) => handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        None => work(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gives_the_result_of_the_work() {
        let data = [1, 2, 3];
        let sum = std::thread::scope(|s| {
            let total = super::start(s, "test", || data.iter().sum::<i32>());
            total()
        });
        assert_eq!(sum, 6);
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn passes_a_panic_on() {
        std::thread::scope(|s| {
            let f = super::start(s, "test", || -> i32 { panic!("boom") });
            f()
        });
    }
}
