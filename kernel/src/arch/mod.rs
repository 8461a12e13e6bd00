//! Architecture support: the only place with `unsafe`, asm and device registers.
pub mod x86_64;
