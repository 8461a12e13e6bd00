//! The receiver's rings and whose turn it is.
//!
//! The ring whose turn it is is held apart from the others (`first`), so the receiver's
//! direct path looks at it without indexing or checking anything: while the endpoint has
//! no ring, `first` is an idle ring that never has an item (no producer), so "is there a
//! ring" is the same test as "does it have a message". A turn is a range of the first
//! ring's read positions (it ends at `turn_end`: one compare with the position the
//! readiness check loads anyway, nothing counted per delivery): [`TURN`] deliveries while
//! there are other rings, unbounded for a lone ring. When the first ring is empty or its
//! turn is over, the next ring with a message (round robin over the others from `next`,
//! the first ring last) is swapped in. The cursor sweeps the other positions in order and
//! a swap only moves the old first to where the cursor just was, so a ring with messages
//! gets a turn within two sweeps: none waits for more than about `2 × TURN` deliveries per
//! other ring. A single sender's stream never changes turns.

use alloc::vec::Vec;

use super::Received;
use crate::spsc::{Consumer, Readable};

/// Most deliveries in a row from one ring while other rings exist.
pub(super) const TURN: usize = 16;

/// A lone ring's turn: more deliveries than it will ever make (a turn is a signed distance
/// of read positions, so at most `isize::MAX`; should it run out, the next look starts
/// another).
const ENDLESS: usize = isize::MAX as usize;

/// The consumer halves of an endpoint's rings, the one whose turn it is apart.
pub(super) struct Rings {
    /// The ring whose turn is running; the idle ring while there is no ring.
    first: Consumer<Received>,
    /// The other rings (empty while `first` is idle).
    others: Vec<Consumer<Received>>,
    /// The idle ring while `first` is a real one (swapped back in when the last ring goes).
    idle: Option<Consumer<Received>>,
    /// The first ring's read position at which its turn ends.
    turn_end: usize,
    /// Where the search for the next turn starts (an index of `others`).
    next: usize,
    /// The name of the next ring adopted (never reused: a lane message's source).
    next_id: u64,
}

impl Rings {
    /// No rings yet; `idle` is a consumer that never finds an item (of the endpoint's
    /// sealed ring).
    pub(super) fn new(idle: Consumer<Received>) -> Self {
        Self {
            first: idle,
            others: Vec::new(),
            idle: None,
            turn_end: ENDLESS,
            next: 0,
            next_id: 0,
        }
    }

    /// Hands the front of the ring whose turn it is, what `look` says of it and `carry` to
    /// `serve`, after passing the turn ([`Rings::pass_turn`]) if that ring is empty or its
    /// turn is over; `carry` comes back when no ring has a message. A turn counts the
    /// fronts taken or consumed (one that `serve` leaves in place does not count).
    /// (`serve` is called here, not handed a borrowed front: the turn can then be passed
    /// after a failed look at the first ring.)
    #[inline]
    pub(super) fn serve_front<C, P, R>(
        &mut self,
        carry: C,
        look: impl Fn(&Received) -> P + Copy,
        serve: impl FnOnce(Readable<'_, Received>, P, C) -> R,
    ) -> Result<R, C> {
        // A second look only after `pass_turn` found a message in the (new) first ring.
        for _ in 0..2 {
            // Positions wrap: "before the turn's end" is a signed distance.
            if (self.first.position().wrapping_sub(self.turn_end) as isize) < 0
                && let Some((front, seen)) = self.first.fresh_front_with(look)
            {
                return Ok(serve(front, seen, carry));
            }
            if !self.pass_turn() {
                break;
            }
        }
        Err(carry)
    }

    /// Ends the first ring's turn: the next ring with a message to read (round robin over
    /// the others from `next`, the first ring last) is swapped in, and a new turn starts.
    /// Returns whether the first ring has a message now.
    #[inline(never)]
    pub(super) fn pass_turn(&mut self) -> bool {
        let count = self.others.len();
        for _ in 0..count {
            if self.next >= count {
                self.next = 0;
            }
            let index = self.next;
            self.next += 1;
            if self.others[index].ready() {
                core::mem::swap(&mut self.first, &mut self.others[index]);
                self.start_turn();
                return true;
            }
        }
        self.start_turn();
        self.first.ready()
    }

    /// The ring whose turn it is (the idle ring when there is none: it never has a
    /// message, so after [`Rings::pass_turn`] returned `true` this is a real ring).
    pub(super) fn first_mut(&mut self) -> &mut Consumer<Received> {
        &mut self.first
    }

    /// A new turn for the first ring, from where it reads now.
    fn start_turn(&mut self) {
        let length = if self.others.is_empty() {
            ENDLESS
        } else {
            TURN
        };
        self.turn_end = self.first.position().wrapping_add(length);
    }

    /// Adds the rings `take` appends to a list (newly registered ones), naming each; the
    /// first ring's turn starts afresh.
    pub(super) fn adopt(&mut self, take: impl FnOnce(&mut Vec<Consumer<Received>>)) {
        let known = self.others.len();
        take(&mut self.others);
        for ring in &mut self.others[known..] {
            ring.set_id(self.next_id);
            self.next_id += 1;
        }
        if self.idle.is_none() && !self.others.is_empty() {
            let ring = self.others.swap_remove(0);
            self.idle = Some(core::mem::replace(&mut self.first, ring));
        }
        self.start_turn();
    }

    /// The ring named `id`, if it is still there.
    pub(super) fn find_mut(&mut self, id: u64) -> Option<&mut Consumer<Received>> {
        self.iter_mut().find(|ring| ring.id() == id)
    }

    /// Every ring.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Consumer<Received>> {
        let first = self.idle.is_some().then_some(&mut self.first);
        first.into_iter().chain(self.others.iter_mut())
    }

    /// How many rings there are.
    pub(super) fn len(&self) -> usize {
        usize::from(self.idle.is_some()) + self.others.len()
    }

    /// Hands every ring to `drain`, then removes those whose sender is gone and that
    /// will never yield another message, handing each to `retire`.
    pub(super) fn drain_and_retire(
        &mut self,
        mut drain: impl FnMut(&mut Consumer<Received>),
        mut retire: impl FnMut(Consumer<Received>),
    ) {
        for ring in self.iter_mut() {
            drain(ring);
        }
        let mut index = 0;
        while index < self.others.len() {
            if self.others[index].is_finished() {
                retire(self.others.swap_remove(index));
            } else {
                index += 1;
            }
        }
        if self.idle.is_some()
            && self.first.is_finished()
            && let Some(next) = self.others.pop().or_else(|| self.idle.take())
        {
            retire(core::mem::replace(&mut self.first, next));
        }
        self.start_turn();
    }

    /// Closes every ring, `close_rest` the others (with the rings it adds to them).
    pub(super) fn close(&mut self, close_rest: impl FnOnce(&mut Vec<Consumer<Received>>)) {
        if self.idle.is_some() {
            self.first.close();
        }
        close_rest(&mut self.others);
    }
}
