// The dashboard's pages (docs/web.md): each page is one HTML shell that
// fetches the JSON API with the sign-in cookie and draws itself
// (static/app.js); the sign-in page takes a token.
#ifndef BIDTRAIL_WEB_PAGES_H_
#define BIDTRAIL_WEB_PAGES_H_

#include <optional>
#include <string>
#include <string_view>

namespace bidtrail::web {

// A static file by name ("app.js"), and its Content-Type; nullopt when
// there is none.
struct StaticResponse {
  std::string_view content;
  std::string content_type;
};
std::optional<StaticResponse> FindStatic(const std::string& name);

// A digest of every static file, for their URLs (?v=...): a new build's
// files are fetched anew, the same build's are cached for good.
const std::string& StaticVersion();

// The shell of page `page` ("board", "tender", ...), titled `title`;
// `tender` is the tender page's tender id.
std::string PageHtml(const std::string& page, const std::string& title, const std::string& tender);

// The sign-in page: `next` is where to go once signed in, `message` is
// said above the form (why the token was refused; empty for none).
std::string SignInHtml(const std::string& next, const std::string& message);

// The page for a path that is none: where the pages are.
std::string NotFoundHtml(const std::string& path);

// `next` when it is a path of this server ("/board?within=14d"), else
// "/board": a sign-in link cannot send anyone elsewhere.
std::string LocalPath(const std::string& next);

// Text made safe inside HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace bidtrail::web

#endif  // BIDTRAIL_WEB_PAGES_H_
