//! The release list, the release form (create, edit, preview, schedule),
//! retraction and restoring. Handler shape: read the form, let the service
//! validate and store, redirect; on any error show the form again with
//! every field as typed and each message next to its field.

mod form;
mod list;
mod retract;
mod submit;

pub use form::edit_from_fields;
pub(crate) use form::{FormInput, render_form};
pub use form::{edit_form, new_form};
pub use list::list;
pub use retract::{restore, retract, retract_form};
pub use submit::{create, update};

/// The banner after a redirect (`?done=`) to the list or the form.
fn done_message(done: &str) -> Option<String> {
    let m = match done {
        "draft" => "Draft saved. Readers see nothing of it.",
        "published" => "Published: it is on the site and in the feeds now.",
        "scheduled" => {
            "Scheduled: it appears on the site and in the feeds by itself at the time shown."
        }
        "saved" => "Changes saved.",
        "corrected" => "Correction saved: feeds show the release as updated, with the same id.",
        "retracted" => {
            "Retracted: it has left every feed, and its page shows your retraction notice \
             instead of the release."
        }
        "restored" => "Restored: it is published again.",
        _ => return None,
    };
    Some(m.to_owned())
}
