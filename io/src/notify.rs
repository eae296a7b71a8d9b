//! A core-local, lock-free wake-up flag: many tasks of one core `notify`,
//! one task `wait`s. Notifications coalesce, so the waiter runs once per
//! loop turn however many notifications arrived.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct LocalNotify {
    set: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl LocalNotify {
    pub fn notify(&self) {
        if !self.set.replace(true)
            && let Some(w) = self.waker.borrow_mut().take()
        {
            w.wake();
        }
    }

    pub fn wait(&self) -> Wait<'_> {
        Wait { n: self }
    }
}

pub struct Wait<'a> {
    n: &'a LocalNotify,
}

impl Future for Wait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.n.set.replace(false) {
            Poll::Ready(())
        } else {
            *self.n.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
