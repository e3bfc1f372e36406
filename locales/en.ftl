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
error-not-found = Not found: there is nothing at this address.
error-gone = This is no longer published.
error-too-many = Too many requests: please wait a moment and try again.
error-unavailable = The service is unavailable for a moment: please try again shortly.
error-server = Something went wrong on our side; nothing you did caused it.
error-bad-request = The request could not be understood.
