//! Topics: create, rename, describe, delete, and the rule for topics a
//! release names that do not exist yet.

use super::WriteError;
use crate::domain::{ReleaseDraft as Draft, Slug, ValidationError, clean_name, clean_optional};
use crate::store::{Conflict, Store, StoreError, TopicDeletion};
use chrono::{DateTime, Utc};

/// Most topics one form or API request may create.
pub const MAX_NEW_TOPICS: usize = 5;

/// Refuses a release whose topics do not all exist unless `may_create`
/// allows each missing one (typed as a new topic in the form, or the API's
/// `create_topics`), and never more than [`MAX_NEW_TOPICS`] at once: a
/// topic is a public channel, not a side effect of a typo.
pub(super) fn check_new_topics(
    store: &Store,
    draft: &Draft,
    may_create: impl Fn(&Slug) -> bool,
) -> Result<(), WriteError> {
    let mut missing = Vec::new();
    for slug in &draft.topics {
        if store.topic_by_slug(slug.as_str())?.is_none() {
            missing.push(slug);
        }
    }
    let mut errors: Vec<ValidationError> = missing
        .iter()
        .filter(|s| !may_create(s))
        .map(|s| ValidationError::new("topics", format!("there is no topic {:?}", s.as_str())))
        .collect();
    if missing.len() > MAX_NEW_TOPICS {
        errors.push(ValidationError::new(
            "topics",
            format!(
                "{} new topics at once; at most {MAX_NEW_TOPICS} can be created with one release",
                missing.len()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WriteError::Invalid(errors))
    }
}

fn topic_name(name: &str) -> Result<String, ValidationError> {
    let name = Some(clean_name(name)).filter(|n| !n.is_empty());
    match name {
        None => Err(ValidationError::new("name", "a name is required")),
        Some(n) if n.chars().count() > 200 => {
            Err(ValidationError::new("name", "at most 200 characters"))
        }
        Some(n) => Ok(n),
    }
}

fn topic_description(d: &str) -> Result<Option<String>, ValidationError> {
    let d = clean_optional(Some(d));
    if d.as_ref().is_some_and(|d| d.chars().count() > 2000) {
        return Err(ValidationError::new(
            "description",
            "at most 2000 characters",
        ));
    }
    Ok(d)
}

/// Creates a topic; the slug is made from the name when not given.
pub fn create_topic(
    store: &Store,
    name: &str,
    slug: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<Slug, WriteError> {
    let mut errors = Vec::new();
    let name = topic_name(name).map_err(|e| errors.push(e)).ok();
    let description = topic_description(description)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let slug = if slug.trim().is_empty() {
        match name.as_deref().and_then(Slug::from_text) {
            Some(s) => Some(s),
            None => {
                if name.is_some() {
                    errors.push(ValidationError::new(
                        "slug",
                        "the name has no letters or digits; type a slug for the address",
                    ));
                }
                None
            }
        }
    } else {
        Slug::parse(slug.trim()).map_err(|e| errors.push(e)).ok()
    };
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(WriteError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(WriteError::Invalid(errors));
    }
    match store.create_topic(&slug, &name, description.as_deref(), now) {
        Ok(()) => Ok(slug),
        Err(StoreError::Conflict(Conflict::TopicTaken(value))) => Err(WriteError::invalid(
            "slug",
            format!("a topic {value:?} already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Renames and/or describes a topic; its slug and feed URLs stay.
pub fn update_topic(
    store: &Store,
    slug: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    let name = topic_name(name);
    let description = topic_description(description);
    let (name, description) = match (name, description) {
        (Ok(n), Ok(d)) => (n, d),
        (n, d) => {
            return Err(WriteError::Invalid(
                [n.err(), d.err()].into_iter().flatten().collect(),
            ));
        }
    };
    if store.update_topic(slug, &name, description.as_deref(), now)? {
        Ok(())
    } else {
        Err(WriteError::NotFound)
    }
}

/// Deletes a topic no release uses.
pub fn delete_topic(store: &Store, slug: &str, now: DateTime<Utc>) -> Result<(), WriteError> {
    match store.delete_topic(slug, now)? {
        TopicDeletion::Deleted => Ok(()),
        TopicDeletion::NotFound => Err(WriteError::NotFound),
        TopicDeletion::InUse(n) => Err(WriteError::invalid(
            "topic",
            format!(
                "{} this topic; it can be deleted once none does",
                crate::wording::counted(n as u64, "release uses", "releases use")
            ),
        )),
    }
}
