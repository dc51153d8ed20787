"""The screens' pages under one namespace, `pages` (`pages:event`, `pages:display`,
`pages:moderate_session`...): live's and qa's patterns side by side. Put together here because
live never imports qa."""

from live.urls_pages import urlpatterns as live_pages
from qa.urls_pages import urlpatterns as qa_pages

app_name = "pages"

urlpatterns = [*qa_pages, *live_pages]
