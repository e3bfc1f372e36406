# الواجهة العامة بالعربية. لكل لغة من لغات الواجهة ملف مثل هذا باسم وسمها.

date-locale = ar_EG
date-time-pattern = %-d %B %Y، الساعة %H:%M %Z

nav-latest = الأحدث
nav-topics = المواضيع
nav-feed = الخلاصة
subscribe = اشترك:
all-topics-opml = كل المواضيع (OPML)
subscribe-every-topic = اشترك في كل المواضيع دفعة واحدة:
latest-releases = أحدث البيانات
topics-heading = المواضيع
no-topics = لا توجد مواضيع بعد.
no-releases = لا توجد بيانات بعد.
topic-feed-link = خلاصة
topic-feed-title = خلاصة Atom لموضوع { $topic }
feeds-for-topic = خلاصات هذا الموضوع:
feeds = الخلاصات:
press-release = بيان صحفي
updated = حُدِّث
correction = تصحيح:
topics-label = المواضيع:
translations-label = هذا البيان بلغات أخرى
page-title-topics = المواضيع — { $site }
retracted = مسحوب
page-title-retracted = مسحوب: { $title }
retracted-by = سحبت { $organization } هذا البيان الصحفي، ولم يعد منشورًا.

# صفحات الأخطاء (يبقى سطر الحالة بالإنجليزية كما يكتبه HTTP).
error-not-found = لا يوجد شيء منشور على هذا العنوان.
error-too-large = الطلب أكبر مما يقبله هذا العنوان.
error-unavailable = الخدمة غير متاحة لحظيًا. يُرجى المحاولة مجددًا.
error-server = حدث خطأ من جهتنا، وقد سُجِّل.
error-bad-request = تعذّرت قراءة الطلب.
error-unreadable = تعذّرت قراءة الطلب: { $detail }.

# البحث
search-heading = بحث
search-label = ابحث في البيانات
search-button = ابحث
search-help = يجب أن ترد كل كلمة؛ ضع العبارة بين "علامتي تنصيص". لا يهمّ التشكيل ولا أشكال الحروف ولا العلامات على الحروف اللاتينية. الأحدث أولًا.
search-subscribe = اشترك في هذا البحث:
search-no-match = لا يوجد بيان مطابق.
search-partial = كلمات هذه العبارة واردة في عدد كبير جدًا من البيانات: لم يُبحث إلا في البيانات المنشورة منذ { $since }. قد توجد نتائج أقدم؛ أضف كلمة أو موضوعًا أو لغة للبحث في ما هو أقدم.
page-newer = الأحدث
page-older = الأقدم

# الصفحات والأشهر
month-year-pattern = %B %Y
pager-newer = بيانات أحدث
pager-older = بيانات أقدم
browse-by-month = تصفّح حسب الشهر: { $month }
month-feeds = هذا الشهر كخلاصة:

# ملفات البيان.
downloads = التنزيلات

# What follows a release's end mark (# # #).
notes-to-editors = ملاحظات للمحررين
about-organization = نبذة عن { $organization }
media-contacts = جهات الاتصال الإعلامي
size-bytes = { $n } بايت
size-kb = { $n } كيلوبايت
size-mb = { $n } ميغابايت
