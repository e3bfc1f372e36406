//! Server-rendered public pages.

use super::error::AppError;
use super::release_view::{ReleaseView, release_ui, site_ui};
use super::routes::{Name, url};
use super::{AppState, blocking, css, html_response};
use crate::domain::Lang;
use crate::domain::{Month, State};
use crate::i18n::Ui;
use crate::model::{FeedScope, Release, Topic};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};

/// Releases on one page of the home, a topic or a month, at most.
pub const PAGE_ITEMS: usize = 20;
/// `max-age` of public pages; the home and topic pages end sooner when a
/// scheduled release is about to appear on them.
pub const PAGE_MAX_AGE: u64 = 60;

/// A `<link rel="alternate">` for feed autodiscovery.
pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub href: String,
    /// The language of a language feed (`hreflang`).
    pub hreflang: Option<String>,
}

/// A `<link rel="alternate" hreflang>`: the page in another language.
pub struct Alternate {
    pub lang: String,
    pub href: String,
}

/// Links to the pages before and after this one (`rel="prev"` / `"next"`).
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
}

const FEED_FORMATS: [(&str, &str, &str); 3] = [
    ("application/atom+xml", "Atom", "atom"),
    ("application/rss+xml", "RSS", "rss"),
    ("application/feed+json", "JSON Feed", "json"),
];

/// What the base layout needs.
pub struct PageInfo {
    pub title: String,
    /// The language of `title` when it is not the page's (a release's own
    /// title); `<title>` then carries it.
    pub title_lang: Option<String>,
    pub title_dir: &'static str,
    pub site_title: String,
    pub lang: String,
    pub dir: &'static str,
    pub feeds: Vec<FeedLink>,
    /// The interface's words in the page's language.
    pub ui: &'static Ui,
    /// The same page in other languages (a release's translations).
    pub alternates: Vec<Alternate>,
}

impl PageInfo {
    /// A site page (in the site's language) whose feeds are the global ones
    /// (`topic` None) or a topic's.
    fn new(state: &AppState, title: String, topic: Option<&str>, feed_title: &str) -> Self {
        Self::in_ui(state, site_ui(state), title, topic, feed_title)
    }

    /// A page in the interface `ui`.
    fn in_ui(
        state: &AppState,
        ui: &'static Ui,
        title: String,
        topic: Option<&str>,
        feed_title: &str,
    ) -> Self {
        let lang = Lang::parse(ui.lang()).unwrap_or_else(|_| Lang::parse("en").expect("en"));
        let feeds = [
            ("application/atom+xml", "Atom", "atom", Name::FeedAtom),
            ("application/rss+xml", "RSS", "rss", Name::FeedRss),
            ("application/feed+json", "JSON Feed", "json", Name::FeedJson),
        ]
        .into_iter()
        .map(|(mime, label, ext, global)| FeedLink {
            mime,
            title: format!("{feed_title} ({label})"),
            href: state.site.url(&match topic {
                Some(slug) => url(Name::TopicFeed, &[slug, ext]),
                None => url(global, &[]),
            }),
            hreflang: None,
        })
        .collect();
        Self {
            title,
            title_lang: None,
            title_dir: lang.dir(),
            site_title: state.settings.site_title.clone(),
            lang: lang.as_str().to_owned(),
            dir: lang.dir(),
            feeds,
            ui,
            alternates: Vec::new(),
        }
    }

    /// The search page's: the global feeds until a search has its own.
    pub(super) fn for_search(state: &AppState) -> Self {
        Self::new(state, "Search".to_owned(), None, &state.settings.site_title)
    }

    /// Adds the language feeds of the page's scope (`topic` or global), one
    /// `<link rel="alternate" hreflang>` per language and format.
    fn with_language_feeds(
        mut self,
        state: &AppState,
        topic: Option<&str>,
        feed_title: &str,
        languages: &[Lang],
    ) -> Self {
        for lang in languages {
            for (mime, label, ext) in FEED_FORMATS {
                let path = match topic {
                    Some(slug) => url(Name::TopicLangFeed, &[slug, lang.as_str(), ext]),
                    None => url(Name::LangFeed, &[lang.as_str(), ext]),
                };
                self.feeds.push(FeedLink {
                    mime,
                    title: format!("{feed_title} — {lang} ({label})"),
                    href: state.site.url(&path),
                    hreflang: Some(lang.as_str().to_owned()),
                });
            }
        }
        self
    }

    /// A page about one release: in the interface's language, the title is
    /// `interface_title`; in another, `<title>` holds the release's own
    /// title alone, marked with its language (one element, one language).
    fn titled_for(&mut self, release: &Release, interface_title: String) {
        let lang = release.lang_tag();
        if lang.as_str() == self.lang {
            self.title = interface_title;
        } else {
            self.title = release.title.clone();
            self.title_lang = Some(lang.as_str().to_owned());
            self.title_dir = lang.dir();
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageInfo,
    releases: Vec<ReleaseView>,
    topics: Vec<Topic>,
    pager: Pager,
    /// The page of the newest month, to browse month by month.
    newest_month: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "month.html")]
struct MonthPage {
    page: PageInfo,
    label: String,
    releases: Vec<ReleaseView>,
    pager: Pager,
    /// (label, href) of the nearest earlier and later months with releases.
    earlier: Option<(String, String)>,
    later: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage {
    page: PageInfo,
    r: ReleaseView,
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage {
    page: PageInfo,
    title: String,
    organization: String,
    note: Option<String>,
    lang: String,
    dir: &'static str,
}

impl GonePage {
    /// The organisation, marked with the release's language, as it goes
    /// into the interface's sentence.
    fn organization_html(&self) -> String {
        format!(
            "<span lang=\"{}\" dir=\"{}\">{}</span>",
            crate::feeds::escape_html(&self.lang),
            self.dir,
            crate::feeds::escape_html(&self.organization)
        )
    }
}

#[derive(Template)]
#[template(path = "topics.html")]
struct TopicsPage {
    page: PageInfo,
    topics: Vec<Topic>,
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    page: PageInfo,
    topic: Topic,
    releases: Vec<ReleaseView>,
    pager: Pager,
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut res = html_response(status, body);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    res
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let number = page_number(&req)?;
    let (page, topics, languages, newest) = blocking(&state, move |s| -> Result<_, AppError> {
        let page = s
            .store
            .release_page(&FeedScope::All, None, PAGE_ITEMS, number, now)?;
        let languages = s.store.languages(&FeedScope::All, now)?.tags;
        let newest = s.store.newest_month(&FeedScope::All, now)?;
        Ok((page, s.store.public_topics(now)?.topics, languages, newest))
    })
    .await??;
    let ui = site_ui(&state);
    let page_of = page.ok_or(AppError::NotFound)?;
    let pager = pager(req.path(), number, page_of.more);
    let releases = page_of
        .items
        .into_iter()
        .map(|r| ReleaseView::of(&state, r, ui))
        .collect();
    let site_title = &state.settings.site_title;
    let page = PageInfo::new(&state, site_title.clone(), None, site_title)
        .with_language_feeds(&state, None, site_title, &languages);
    let body = HomePage {
        page,
        releases,
        topics,
        pager,
        newest_month: newest.map(|m| (ui.month_year(m.year(), m.month()), month_href(m))),
    }
    .render()?;
    Ok(until_next_change(
        html(StatusCode::OK, body),
        &state,
        page_of.next_change,
        now,
    ))
}

/// `/archive/{YYYY}/{MM}/`: the releases of one month, page by page, with
/// links to the nearest months that have releases and its archive feeds.
pub async fn month(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (year, month) = path.into_inner();
    let month = Month::parse(&year, &month).ok_or(AppError::NotFound)?;
    let number = page_number(&req)?;
    let now = state.clock.now();
    let page_of = blocking(&state, move |s| {
        s.store
            .release_page(&FeedScope::All, Some(month), PAGE_ITEMS, number, now)
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let site_title = &state.settings.site_title;
    let ui = site_ui(&state);
    let label = ui.month_year(month.year(), month.month());
    let mut page = PageInfo::new(&state, format!("{label} — {site_title}"), None, site_title);
    page.feeds = FEED_FORMATS
        .into_iter()
        .map(|(mime, kind, ext)| FeedLink {
            mime,
            title: format!("{site_title} — {label} ({kind})"),
            href: state.site.url(&url(
                Name::ArchiveFeed,
                &[&month.year_segment(), &month.month_segment(), ext],
            )),
            hreflang: None,
        })
        .collect();
    let (earlier, later) = page_of.neighbours;
    let body = MonthPage {
        page,
        label,
        releases: page_of
            .items
            .into_iter()
            .map(|r| ReleaseView::of(&state, r, ui))
            .collect(),
        pager: pager(req.path(), number, page_of.more),
        earlier: earlier.map(|m| (ui.month_year(m.year(), m.month()), month_href(m))),
        later: later.map(|m| (ui.month_year(m.year(), m.month()), month_href(m))),
    }
    .render()?;
    Ok(until_next_change(
        html(StatusCode::OK, body),
        &state,
        page_of.next_change,
        now,
    ))
}

fn month_href(m: Month) -> String {
    url(Name::ArchivePage, &[&m.year_segment(), &m.month_segment()])
}

/// The `page` query parameter: absent is 1; anything but a whole number
/// from 1 (without leading zeros, so each page has one address) is a 404.
fn page_number(req: &HttpRequest) -> Result<u32, AppError> {
    let mut found = None;
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "page" {
            if found.is_some() {
                return Err(AppError::NotFound);
            }
            found = Some(value);
        }
    }
    match found {
        None => Ok(1),
        Some(v) if !v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().map_err(|_| AppError::NotFound)
        }
        Some(_) => Err(AppError::NotFound),
    }
}

/// Links to pages `number - 1` and `number + 1` of the page at `path`
/// (page 1 is the bare path).
fn pager(path: &str, number: u32, more: bool) -> Pager {
    let at = |n: u32| {
        if n == 1 {
            path.to_owned()
        } else {
            format!("{path}?page={n}")
        }
    };
    Pager {
        prev: (number > 1).then(|| at(number - 1)),
        next: more.then(|| at(number + 1)),
    }
}

/// A page that changes by itself at `next_change` is cached no longer.
fn until_next_change(
    mut res: HttpResponse,
    state: &AppState,
    next_change: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        state.page_freshness.header(next_change, now),
    );
    res
}

pub async fn release(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let found = blocking(&state, move |s| {
        s.store.release_with_translations(&slug, now)
    })
    .await??;
    let release = found.ok_or(AppError::NotFound)?;
    let site_title = &state.settings.site_title;
    let ui = release_ui(&state, &release.lang);
    match release.state(now) {
        State::Draft | State::Scheduled => Err(AppError::NotFound),
        State::Retracted => {
            let lang = release.lang_tag();
            let mut page = PageInfo::in_ui(&state, ui, String::new(), None, site_title);
            page.titled_for(
                &release,
                ui.t1("page-title-retracted", "title", &release.title),
            );
            let body = GonePage {
                page,
                title: release.title,
                organization: release.organization,
                note: release.retraction_note,
                dir: lang.dir(),
                lang: lang.as_str().to_owned(),
            }
            .render()?;
            let mut res = html(StatusCode::GONE, body);
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            Ok(res)
        }
        State::Public => {
            // Autodiscovery points at the release's first topic when it has one.
            let first = release.topics.first();
            let feed_title = match first {
                Some(t) => format!("{site_title} — {}", t.name),
                None => site_title.clone(),
            };
            let topic = first.map(|t| t.slug.as_str());
            let mut page = PageInfo::in_ui(&state, ui, String::new(), topic, &feed_title);
            page.titled_for(&release, format!("{} — {site_title}", release.title));
            if topic.is_some() {
                page.feeds
                    .extend(PageInfo::new(&state, String::new(), None, site_title).feeds);
            }
            // Every visible language of the release, its own included, as
            // search engines and readers expect of a set of translations.
            if !release.translations.is_empty() {
                page.alternates = std::iter::once((&release.lang, &release.slug))
                    .chain(release.translations.iter().map(|t| (&t.lang, &t.slug)))
                    .map(|(lang, slug)| Alternate {
                        lang: lang.clone(),
                        href: state.site.release_url(slug),
                    })
                    .collect();
            }
            let r = ReleaseView::of(&state, release, ui);
            Ok(html(StatusCode::OK, ReleasePage { page, r }.render()?))
        }
    }
}

pub async fn topics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let topics = blocking(&state, move |s| s.store.public_topics(now))
        .await??
        .topics;
    let site_title = &state.settings.site_title;
    let title = site_ui(&state).t1("page-title-topics", "site", site_title);
    let page = PageInfo::new(&state, title, None, site_title);
    Ok(html(StatusCode::OK, TopicsPage { page, topics }.render()?))
}

pub async fn topic(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = crate::domain::Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let number = page_number(&req)?;
    let now = state.clock.now();
    let (page_of, languages) = blocking(&state, move |s| -> Result<_, AppError> {
        let scope = FeedScope::Topic(slug);
        let page = s
            .store
            .release_page(&scope, None, PAGE_ITEMS, number, now)?;
        Ok((page, s.store.languages(&scope, now)?.tags))
    })
    .await??;
    let page_of = page_of.ok_or(AppError::NotFound)?;
    let topic = page_of.topic.ok_or(AppError::NotFound)?;
    let site_title = &state.settings.site_title;
    let feed_title = format!("{site_title} — {}", topic.name);
    let page = PageInfo::new(
        &state,
        format!("{} — {site_title}", topic.name),
        Some(&topic.slug),
        &feed_title,
    )
    .with_language_feeds(&state, Some(&topic.slug), &feed_title, &languages);
    let ui = site_ui(&state);
    let releases = page_of
        .items
        .into_iter()
        .map(|r| ReleaseView::of(&state, r, ui))
        .collect();
    let body = TopicPage {
        page,
        topic,
        releases,
        pager: pager(req.path(), number, page_of.more),
    }
    .render()?;
    Ok(until_next_change(
        html(StatusCode::OK, body),
        &state,
        page_of.next_change,
        now,
    ))
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let checked = blocking(&state, |s| s.store.ping()).await;
    // A deleted or replaced file still answers queries (the process holds
    // it open), so it is asked about separately and named in the answer.
    let problem = match (state.store.check_file(), checked) {
        (Err(detached), _) => Some(detached.message()),
        (Ok(()), Err(_) | Ok(Err(_))) => Some("database unavailable"),
        (Ok(()), Ok(Ok(()))) => None,
    };
    let mut res = match problem {
        None => HttpResponse::Ok(),
        Some(_) => HttpResponse::ServiceUnavailable(),
    };
    res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .content_type("text/plain; charset=utf-8")
        .body(match problem {
            None => "ok\n".to_owned(),
            Some(why) => format!("{why}\n"),
        })
}

pub async fn stylesheet() -> HttpResponse {
    css(
        include_str!("../../static/style.css"),
        "public, max-age=86400",
    )
}
