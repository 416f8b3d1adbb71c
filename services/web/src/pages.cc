#include "pages.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bidtrail/common/fnv.h"
#include "static_files.h"

namespace bidtrail::web {
namespace {

absl::string_view FileContent(const std::string& name) {
  for (const StaticFile& file : StaticFiles()) {
    if (file.name == name) return absl::string_view(file.content.data(), file.content.size());
  }
  return {};
}

std::string ContentType(const std::string& name) {
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

std::optional<StaticResponse> FindStatic(const std::string& name) {
  // The HTML templates are pages, filled in by the server, not files.
  if (absl::EndsWith(name, ".html")) return std::nullopt;
  for (const StaticFile& file : StaticFiles()) {
    if (file.name == name) return StaticResponse{file.content, ContentType(name)};
  }
  return std::nullopt;
}

const std::string& StaticVersion() {
  static const std::string version = [] {
    // Over every file: a build's fingerprint, not a secret.
    uint64_t hash = kFnv1a64Basis;
    for (const StaticFile& file : StaticFiles()) hash = Fnv1a64(file.content, hash);
    return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
  }();
  return version;
}

std::string HtmlEscape(const std::string& text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string LocalPath(const std::string& next) {
  // A path of this server: "/x", not "//host" or "/\host" (which browsers
  // take for another host), no scheme, no control characters.
  if (next.size() < 1 || next[0] != '/' ||
      (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) {
    return "/board";
  }
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "/board";
  }
  return std::string(next);
}

std::string PageHtml(const std::string& page, const std::string& title, const std::string& tender) {
  // The chart library only where there is a chart.
  const std::string head =
      page == "winloss"
          ? absl::StrCat(
                "<link rel=\"stylesheet\" href=\"/static/uPlot.min.css?v=", StaticVersion(),
                "\">\n<script src=\"/static/uPlot.iife.min.js?v=", StaticVersion(),
                "\" defer></script>\n")
          : "";
  return absl::StrReplaceAll(FileContent("page.html"), {{"{{title}}", HtmlEscape(title)},
                                                        {"{{page}}", HtmlEscape(page)},
                                                        {"{{tender}}", HtmlEscape(tender)},
                                                        {"{{head}}", head},
                                                        {"{{version}}", StaticVersion()}});
}

std::string NotFoundHtml(const std::string& path) {
  return absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\"><title>No such page · bidtrail</title>"
      "<link rel=\"stylesheet\" href=\"/static/app.css?v=",
      StaticVersion(),
      "\"></head>\n<body class=\"signin\"><main class=\"signin-box\"><h1>No such page</h1><p>",
      HtmlEscape(path),
      " is not a page of bidtrail. The pages: <a href=\"/board\">deadlines</a>, "
      "<a href=\"/winloss\">win/loss</a>, <a href=\"/segments\">the nine-grid</a>, "
      "<a href=\"/competitors\">competitors</a>, <a href=\"/signals\">signals</a>, "
      "<a href=\"/review\">the weekly review</a>, and /tenders/ID for one tender.</p>"
      "</main></body></html>\n");
}

std::string SignInHtml(const std::string& next, const std::string& message) {
  return absl::StrReplaceAll(
      FileContent("signin.html"),
      {{"{{next}}", HtmlEscape(LocalPath(next))},
       {"{{message}}", message.empty() ? std::string()
                                       : absl::StrCat("<p class=\"error\" role=\"alert\">",
                                                      HtmlEscape(message), "</p>")},
       {"{{version}}", StaticVersion()}});
}

}  // namespace bidtrail::web
