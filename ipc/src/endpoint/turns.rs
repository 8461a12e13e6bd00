//! The receiver's rings and whose turn it is.
//!
//! The ring whose turn it is sits first in the list, so the receiver's direct path looks
//! at it without indexing anything. Its turn ends when it is empty, or after [`TURN`]
//! deliveries while there are other rings; the next ring with a message (round robin from
//! `next`, the first ring last) is then swapped to the front. The cursor sweeps the other
//! positions in order and a swap only moves the old front to where the cursor just was,
//! so a ring with messages gets a turn within two sweeps: none waits for more than about
//! `2 × TURN` deliveries per other ring. A single sender's stream never changes turns.

use alloc::vec::Vec;

use super::Received;
use crate::spsc::{Consumer, Readable};

/// Most deliveries in a row from one ring while other rings exist.
pub(super) const TURN: u32 = 16;

/// The consumer halves of an endpoint's rings, the one whose turn it is first.
pub(super) struct Rings {
    /// The rings; the first one's turn is running.
    pub(super) list: Vec<Consumer<Received>>,
    /// Deliveries left in the first ring's turn (meaningful only while there are others).
    turn_left: u32,
    /// Where the search for the next turn starts (an index of `list`, from 1).
    next: usize,
}

impl Rings {
    /// No rings yet.
    pub(super) fn new() -> Self {
        Self {
            list: Vec::new(),
            turn_left: TURN,
            next: 1,
        }
    }

    /// Hands the front of the ring whose turn it is, what `look` says of it and `carry` to
    /// `serve`, after passing the turn ([`Rings::pass_turn`]) if that ring is empty or its
    /// turn is over; `carry` comes back when no ring has a message. Each front handed to
    /// `serve` counts as one delivery of the turn (also one that `serve` leaves in place).
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
            let count = self.list.len();
            // One sender: its turn never ends (its count runs down unchecked, and a turn
            // starts afresh when another ring comes: `Rings::adopt`).
            if (count == 1 || count > 1 && self.turn_left > 0)
                && let Some((front, seen)) = self.list[0].fresh_front_with(look)
            {
                self.turn_left = self.turn_left.wrapping_sub(1);
                return Ok(serve(front, seen, carry));
            }
            if !self.pass_turn() {
                break;
            }
        }
        Err(carry)
    }

    /// Adds the rings `take` appends to `list` (newly registered ones): the first ring's
    /// turn starts afresh.
    pub(super) fn adopt(&mut self, take: impl FnOnce(&mut Vec<Consumer<Received>>)) {
        take(&mut self.list);
        self.turn_left = TURN;
    }

    /// Ends the first ring's turn: the next ring with a message to read (round robin from
    /// `next`, the first ring last) is swapped to the front and gets a turn of [`TURN`]
    /// deliveries. Returns whether the first ring has a message now.
    #[inline(never)]
    pub(super) fn pass_turn(&mut self) -> bool {
        self.turn_left = TURN;
        let count = self.list.len();
        for _ in 1..count {
            if self.next >= count {
                self.next = 1;
            }
            let index = self.next;
            self.next += 1;
            if self.list[index].ready() {
                self.list.swap(0, index);
                return true;
            }
        }
        self.list.first_mut().is_some_and(Consumer::ready)
    }
}
