//! A core-local, lock-free wake-up flag: many tasks of one core `notify`,
//! one task `wait`s. Notifications coalesce, so the waiter runs once per
//! loop turn however many notifications arrived.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A core's mail slot, shared with every thread that sends it work: other
/// cores (through their rings), the persist thread (completions), the heavy
/// pool and control senders (the `control` channel). A producer puts its
/// work in the queue first and then rings; the ring sets one flag and, only
/// when it flips it, sends one token on the doorbell: one cross-thread wake
/// per batch however many producers rang. The core checks the flag (one
/// atomic load) before every client command, so a busy core sees its mail
/// even while monoio, whose cross-thread wakes are only processed when its
/// run queue is empty, would not wake the core's loop task.
pub struct Mailbox {
    mail: AtomicBool,
    bell: flume::Sender<()>,
    /// Control-plane messages (INFO snapshots, CLIENT KILL, heavy-pool
    /// replies, snapshot reports). Unbounded: each is answer to one client
    /// command or one bounded heavy-pool job, never request-path traffic.
    control: flume::Sender<Vec<crate::node::Msg>>,
}

/// The receiving side of a [`Mailbox`], owned by its core.
pub struct MailboxRx {
    pub bell: flume::Receiver<()>,
    pub control: flume::Receiver<Vec<crate::node::Msg>>,
}

impl Mailbox {
    pub fn new() -> (Mailbox, MailboxRx) {
        let (bell, bell_rx) = flume::bounded(1);
        let (control, control_rx) = flume::unbounded();
        (
            Mailbox {
                mail: AtomicBool::new(false),
                bell,
                control,
            },
            MailboxRx {
                bell: bell_rx,
                control: control_rx,
            },
        )
    }

    /// Sends control messages and rings.
    pub fn send(
        &self,
        batch: Vec<crate::node::Msg>,
    ) -> Result<(), flume::SendError<Vec<crate::node::Msg>>> {
        self.control.send(batch)?;
        self.ring();
        Ok(())
    }

    /// Tells the core there is work in one of its queues (call after
    /// queueing it).
    pub fn ring(&self) {
        if !self.mail.swap(true, Ordering::AcqRel) {
            // Full: a token is already on its way, this batch rides on it.
            let _ = self.bell.try_send(());
        }
    }

    /// Whether mail is waiting (one relaxed load: the hot check).
    pub fn pending(&self) -> bool {
        self.mail.load(Ordering::Relaxed)
    }

    /// Clears the flag before the core drains its queues: anything queued
    /// after this rings again.
    pub fn take(&self) -> bool {
        self.mail.swap(false, Ordering::Acquire)
    }
}

/// Tasks of one core waiting for a condition another task makes true
/// (connections waiting for queue room). Woken all at once; each rechecks.
#[derive(Default)]
pub struct WaitList {
    wakers: RefCell<Vec<Waker>>,
}

impl WaitList {
    pub fn is_empty(&self) -> bool {
        self.wakers.borrow().is_empty()
    }

    pub fn wake_all(&self) {
        for w in std::mem::take(&mut *self.wakers.borrow_mut()) {
            w.wake();
        }
    }

    /// Resolves once `ready()` holds, checked now and after every wake.
    pub fn until<'a, F: Fn() -> bool>(&'a self, ready: F) -> Until<'a, F> {
        Until { list: self, ready }
    }
}

pub struct Until<'a, F> {
    list: &'a WaitList,
    ready: F,
}

impl<F: Fn() -> bool> Future for Until<'_, F> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if (self.ready)() {
            Poll::Ready(())
        } else {
            self.list.wakers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_rings_sends_one_token_and_none_is_lost() {
        let (mb, rx) = Mailbox::new();
        mb.ring();
        mb.ring();
        mb.ring();
        assert_eq!(rx.bell.len(), 1, "one wake per batch");
        // A busy core takes the flag without consuming the token ...
        assert!(mb.pending());
        assert!(mb.take());
        assert!(!mb.pending());
        // ... a later ring still leaves a token the loop task will see.
        mb.ring();
        assert!(mb.pending());
        assert_eq!(rx.bell.len(), 1);
        assert!(rx.bell.try_recv().is_ok());
        assert!(mb.take());
        mb.ring();
        assert_eq!(rx.bell.len(), 1, "rang again after the token was used");
    }

    #[test]
    fn control_messages_ring() {
        let (mb, rx) = Mailbox::new();
        assert!(mb.send(vec![crate::node::Msg::ResetStats]).is_ok());
        assert!(mb.pending());
        assert_eq!(rx.control.try_recv().map(|b| b.len()).ok(), Some(1));
    }
}
