//! The newsroom over HTTP, by concern.

mod access;
mod accreditations;
mod attachments;
mod furniture;
mod kept_draft;
mod releases;
mod topics;
mod xss;
