//! The public interface in the languages the office publishes in: words
//! from Fluent files (`locales/{tag}.ftl`, compiled in), dates written with
//! each language's month names (chrono's locale data), and languages named
//! in themselves for the language switch. A page asks for the [`Ui`] of
//! its language; one the interface does not speak falls back to English.

use chrono::{DateTime, TimeZone};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// The interface's languages, each a tag and its Fluent file. English is
/// first: the fallback. Adding a language: a `locales/{tag}.ftl` with the
/// same messages (a test checks) and a line here.
const SOURCES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.ftl")),
    ("ar", include_str!("../locales/ar.ftl")),
];

/// One interface language.
pub struct Ui {
    tag: &'static str,
    dir: &'static str,
    bundle: FluentBundle<FluentResource>,
    date_locale: chrono::Locale,
    date_pattern: String,
}

static UIS: LazyLock<Vec<Ui>> =
    LazyLock::new(|| SOURCES.iter().map(|&(t, s)| Ui::load(t, s)).collect());

/// A character no message contains: stands for markup put in after escaping.
const SLOT: &str = "\u{E000}";

impl Ui {
    /// Compiled-in files: a broken one is a build mistake the tests catch,
    /// so it panics at the first page rather than serving half a language.
    fn load(tag: &'static str, source: &'static str) -> Self {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, e)| panic!("locales/{tag}.ftl does not parse: {e:?}"));
        let id: LanguageIdentifier = tag.parse().expect("an interface tag is a language tag");
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Messages go into HTML whose direction the page sets; Unicode
        // isolation marks around arguments would only show up in tests and
        // copied text.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .unwrap_or_else(|e| panic!("locales/{tag}.ftl repeats a message: {e:?}"));
        let mut ui = Self {
            tag,
            dir: crate::domain::Lang::parse(tag)
                .map(|l| l.dir())
                .unwrap_or("ltr"),
            bundle,
            date_locale: chrono::Locale::POSIX,
            date_pattern: String::new(),
        };
        ui.date_locale = chrono::Locale::try_from(ui.t("date-locale").as_str())
            .unwrap_or_else(|_| panic!("locales/{tag}.ftl: date-locale is not a locale"));
        ui.date_pattern = ui.t("date-time-pattern");
        ui
    }

    /// The interface for a language tag (`ar`, `ar-EG`, `en-GB`): the one of
    /// its primary language, or `None` when the interface lacks it.
    pub fn find(tag: &str) -> Option<&'static Ui> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        UIS.iter().find(|u| u.tag.eq_ignore_ascii_case(primary))
    }

    /// The interface for `tag`, else for `fallback`, else English.
    pub fn for_lang(tag: &str, fallback: &str) -> &'static Ui {
        Self::find(tag)
            .or_else(|| Self::find(fallback))
            .unwrap_or(&UIS[0])
    }

    /// Every interface language's tag.
    pub fn tags() -> impl Iterator<Item = &'static str> {
        UIS.iter().map(|u| u.tag)
    }

    pub fn lang(&self) -> &'static str {
        self.tag
    }

    /// `rtl` or `ltr`, for `<html dir>`.
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            // A message missing from a language is a test failure
            // (`every_language_has_every_message`); readers see its name.
            return id.to_owned();
        };
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// A message without arguments.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), FluentValue::from(value.to_owned()));
        self.format(id, Some(&args))
    }

    /// A message as HTML, its argument `name` being markup made by the
    /// caller (already escaped): the message's own text is escaped, the
    /// markup goes in as is.
    pub fn t_html(&self, id: &str, name: &str, html: &str) -> String {
        let text = self.t1(id, name, SLOT);
        quick_xml::escape::escape(text.as_str()).replace(SLOT, html)
    }

    /// A month of a year in this language ("March 2026", "مارس 2026").
    pub fn month_year(&self, year: i32, month: u32) -> String {
        match chrono::NaiveDate::from_ymd_opt(year, month, 1) {
            Some(d) => d
                .format_localized(&self.t("month-year-pattern"), self.date_locale)
                .to_string(),
            None => format!("{year:04}-{month:02}"),
        }
    }

    /// A date and time in this language (month names, order, punctuation),
    /// in the zone `t` carries.
    pub fn date_time<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        t.format_localized(&self.date_pattern, self.date_locale)
            .to_string()
    }
}

/// A language's name in itself ("العربية", "English", "Français"), for a
/// language switch; the tag itself when the name is not known.
pub fn language_name(tag: &str) -> String {
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    let name = isolang::Language::from_639_1(&primary.to_ascii_lowercase())
        .and_then(|l| l.to_autonym())
        .map(str::to_owned);
    match name {
        // Autonyms are lower case in some languages' lists ("français");
        // a switch shows them as names.
        Some(name) => {
            let mut chars = name.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => tag.to_owned(),
            }
        }
        None => tag.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ids(source: &str) -> Vec<String> {
        let resource = FluentResource::try_new(source.to_owned()).expect("parses");
        let mut ids: Vec<String> = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_language_has_every_message() {
        let english = ids(SOURCES[0].1);
        for (tag, source) in SOURCES {
            assert_eq!(ids(source), english, "locales/{tag}.ftl");
            let ui = Ui::find(tag).expect("loaded");
            assert_eq!(ui.lang(), *tag);
        }
    }

    #[test]
    fn arabic_dates_are_written_in_arabic() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 9, 5, 0).unwrap();
        let ar = Ui::for_lang("ar", "en");
        assert_eq!(ar.date_time(&t), "2 ديسمبر 2026، الساعة 09:05 UTC");
        assert_eq!(ar.dir(), "rtl");
        let en = Ui::for_lang("en-GB", "en");
        assert_eq!(en.date_time(&t), "2 December 2026, 09:05 UTC");
        assert_eq!(ar.month_year(2026, 3), "مارس 2026");
        assert_eq!(en.month_year(2026, 3), "March 2026");
        assert_eq!(en.dir(), "ltr");
    }

    #[test]
    fn a_language_the_interface_lacks_falls_back() {
        assert_eq!(Ui::for_lang("fr", "ar").lang(), "ar");
        assert_eq!(Ui::for_lang("fr", "de").lang(), "en");
        assert_eq!(Ui::for_lang("ar-EG", "en").lang(), "ar");
    }

    #[test]
    fn messages_take_arguments_and_markup() {
        let ar = Ui::for_lang("ar", "en");
        assert_eq!(ar.t("press-release"), "بيان صحفي");
        let en = Ui::for_lang("en", "en");
        assert_eq!(
            en.t_html("retracted-by", "organization", "<span>A &amp; B</span>"),
            "This press release has been retracted by <span>A &amp; B</span> and is no \
             longer published."
        );
        assert_eq!(
            en.t1("page-title-topics", "site", "<Site>"),
            "Topics — <Site>"
        );
    }

    #[test]
    fn languages_are_named_in_themselves() {
        assert_eq!(language_name("ar"), "العربية");
        assert_eq!(language_name("en"), "English");
        assert_eq!(language_name("fr-CA"), "Français");
        assert_eq!(language_name("x-unknown"), "x-unknown");
    }
}
