//! The fast message (64 bytes) and the header carried alongside it.

use crate::ids::{MessageId, RegionId, ServiceId};
use executor::Priority;

/// A 64-byte message: a tag, six data words and one capability / handle word. Bigger
/// payloads travel out of line in a shared region ([`Payload`]).
///
/// Word-aligned, not cache-line-aligned: the padding that 64-byte alignment forced on
/// every `Result<Message, _>`, envelope and reply slot made each of them twice as big
/// to copy, which cost more per call than the alignment ever saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Message {
    /// Operation or protocol tag, chosen by the protocol.
    pub tag: u64,
    /// Inline payload.
    pub data: [u64; 6],
    /// A capability slot or handle travelling with the message (0: none).
    pub cap: u64,
}

const _: () = assert!(core::mem::size_of::<Message>() == 64);
const _: () = assert!(core::mem::align_of::<Message>() == 8);

impl Message {
    /// A message with `tag` and no data.
    pub const fn new(tag: u64) -> Self {
        Self {
            tag,
            data: [0; 6],
            cap: 0,
        }
    }

    /// A message with `tag` and `data`.
    pub const fn with_data(tag: u64, data: [u64; 6]) -> Self {
        Self { tag, data, cap: 0 }
    }

    /// The same message, copied word by word. (Where a message is used both by a path that
    /// copies it into memory out of line and by one that stores its words, a whole-value
    /// copy makes the compiler stage all of it in memory for both; word by word, the words
    /// known in registers or as constants stay there.)
    #[inline(always)]
    pub(crate) const fn word_copy(&self) -> Self {
        let [a, b, c, d, e, f] = self.data;
        Self {
            tag: self.tag,
            data: [a, b, c, d, e, f],
            cap: self.cap,
        }
    }

    /// Describes an out-of-line payload: region, offset and length in the data words
    /// 0..3 (words 3..6 stay free for the protocol).
    pub fn with_payload(tag: u64, payload: Payload) -> Self {
        let mut message = Self::new(tag);
        message.data[0] = u64::from(payload.region.0);
        message.data[1] = payload.offset;
        message.data[2] = payload.len;
        message
    }

    /// Reads back what [`Message::with_payload`] wrote. (No check here: the region
    /// capability decides whether it may be mapped, and the region checks the bounds.)
    pub fn payload(&self) -> Payload {
        Payload {
            region: RegionId(self.data[0] as u32),
            offset: self.data[1],
            len: self.data[2],
        }
    }
}

/// An out-of-line payload: zero copy, the bytes stay in the shared region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// The region holding the bytes.
    pub region: RegionId,
    /// Byte offset in the region.
    pub offset: u64,
    /// Byte length.
    pub len: u64,
}

/// What a message is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageKind {
    /// Expects a response (`call`).
    #[default]
    Request,
    /// Answers a request (`reply`).
    Response,
    /// One-way (`send`).
    Event,
    /// To every subscriber (event bus).
    Broadcast,
}

/// Carried alongside every [`Message`]: who, to whom, what kind, how urgent, when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Unique per message.
    pub id: MessageId,
    /// Sender.
    pub source: ServiceId,
    /// Receiver.
    pub destination: ServiceId,
    /// Request, response, event or broadcast.
    pub kind: MessageKind,
    /// Picks the receiver's lane; the executor runs the receiver at the highest waiting one.
    pub priority: Priority,
    /// TSC (or the platform clock) when sent.
    pub timestamp: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_through_the_data_words() {
        let payload = Payload {
            region: RegionId(7),
            offset: 4096,
            len: 100,
        };
        let message = Message::with_payload(3, payload);
        assert_eq!(message.tag, 3);
        assert_eq!(message.payload(), payload);
    }
}
