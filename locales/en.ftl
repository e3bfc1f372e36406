# The public interface in English. Every language of the interface is one
# file like this one, named by its language tag (see README "Languages").

# How dates and times are written (chrono's strftime, with this locale's
# month names).
date-locale = en_US
date-time-pattern = %-d %B %Y, %H:%M %Z

nav-latest = Latest
nav-topics = Topics
nav-feed = Feed
subscribe = Subscribe:
all-topics-opml = All topics (OPML)
subscribe-every-topic = Subscribe to every topic at once:
latest-releases = Latest releases
topics-heading = Topics
no-topics = No topics yet.
no-releases = No releases yet.
topic-feed-link = feed
topic-feed-title = Atom feed for { $topic }
feeds-for-topic = Feeds for this topic:
feeds = Feeds:
press-release = Press release
updated = updated
correction = Correction:
topics-label = Topics:
translations-label = This release in other languages
page-title-topics = Topics — { $site }
retracted = Retracted
page-title-retracted = Retracted: { $title }
retracted-by = This press release has been retracted by { $organization } and is no longer published.

# Error pages (the status line stays in English, as HTTP writes it).
error-not-found = Nothing is published at this address.
error-too-large = The request is larger than this address accepts.
error-unavailable = The service is briefly unavailable. Please try again.
error-server = Something went wrong on our side. It has been logged.
error-bad-request = The request could not be read.
error-unreadable = The request could not be read: { $detail }.

# Search
search-heading = Search
search-label = Search releases
search-button = Search
search-help = Every word must appear; put a phrase in "double quotes". Accents, Arabic short vowels and letter forms do not matter. Newest first.
search-subscribe = Subscribe to this search:
search-no-match = No release matches.
search-partial = This phrase's words are in very many releases: only releases published since { $since } were searched. Older matches may exist; add a word, a topic or a language to search further back.
page-newer = Newer
page-older = Older

# Pages by page and by month
month-year-pattern = %B %Y
pager-newer = Newer releases
pager-older = Older releases
browse-by-month = Browse by month: { $month }
month-feeds = This month as a feed:

# Files of a release.
downloads = Downloads

# What follows a release's end mark (# # #).
notes-to-editors = Notes to editors
about-organization = About { $organization }
media-contacts = Media contacts
size-bytes = { $n } bytes
size-kb = { $n } KB
size-mb = { $n } MB
