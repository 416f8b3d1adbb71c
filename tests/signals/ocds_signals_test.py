#!/usr/bin/env python3
"""The signals on the OCDS samples the project carries, against an
independent computation.

A bidtraild on a fresh folder imports tests/data/ocds (three publishers);
this script reads every tender back as the API shows it (`bidtrail tender
show --json`) and computes each signal from docs/analytics.md ("Signals")
with Python's Decimal and datetime, then compares with `bidtrail signals
--json`: every flag of every competition, every buyer's figures and
incumbent (and the incumbent each buyer's tender shows on its timeline),
the suppliers that win with one buyer, the price-gap threshold.
"""
import collections
import datetime
import decimal
import json
import os
import re
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("BIDTRAIL_BIN_DIR", "build/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPETITIVE = {"open", "selective"}
SHORT = datetime.timedelta(days=15)
FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)
    return ok


def parse_time(text):
    if text is None:
        return None
    # Python 3.11 reads at most 6 fraction digits.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Server:
    def __init__(self, folder):
        port_file = os.path.join(folder, "port")
        self.log = open(os.path.join(folder, "server.log"), "w")
        self.process = subprocess.Popen(
            [os.path.join(BIN, "bidtraild"), "--services=all", "--listen=127.0.0.1:0",
             "--port_file=" + port_file, "--data_dir=" + os.path.join(folder, "data"),
             "--own_party_id=us"],
            stdout=self.log, stderr=self.log)
        for _ in range(600):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.process.poll() is not None:
                raise RuntimeError("bidtraild exited at start")
            time.sleep(0.05)
        port = int(open(port_file).read())
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(folder, "config"),
                        BIDTRAIL_SERVER="127.0.0.1:%d" % port)

    def cli(self, *args):
        out = subprocess.run([os.path.join(BIN, "bidtrail")] + list(args), env=self.env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("bidtrail %s: %s" % (" ".join(args), out.stderr))
        return out.stdout

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def bid_index(bids, bidder):
    """The bidder's bid not withdrawn, a valid one over a disqualified one."""
    found = -1
    for i, bid in enumerate(bids):
        if bid["bidder"] != bidder or bid["status"] == "withdrawn":
            continue
        if found < 0 or bid["status"] == "valid":
            found = i
    return found


def competitions_of(view):
    details = view["tender"]["details"]
    dates = details.get("key_dates", {})
    deadline = parse_time(dates.get("submission_deadline"))
    discovered = parse_time(details.get("occurred_at"))
    tender_void = view["tender"]["status"] in ("cancelled", "unsuccessful")
    out = []
    for lot in view["tender"]["lots"]:
        c = {
            "tender_id": details["tender_id"], "lot_id": lot["lot_id"],
            "buyer": details["buyer"]["id"], "buyer_name": details["buyer"].get("name", ""),
            "method": details.get("procurement_method", "unspecified"),
            "deadline": deadline, "discovered": discovered,
            "date": deadline or discovered, "winners": [], "award_value": None,
            "award_currency": "", "award_at": None,
        }
        for award in lot.get("awards", []):
            if award.get("cancelled"):
                continue
            a = award["award"]
            c["winners"] = [s["id"] for s in a.get("suppliers", [])]
            amount = a.get("amount", {})
            try:
                c["award_value"] = decimal.Decimal(amount.get("amount", ""))
            except decimal.InvalidOperation:
                c["award_value"] = None
            c["award_currency"] = amount.get("currency", "")
            c["award_at"] = parse_time(a.get("occurred_at"))
        void = tender_void or lot["status"] in ("cancelled", "unsuccessful")
        c["status"] = "void" if void else ("decided" if c["winners"] else "pending")
        c["bids"] = []
        for b in lot.get("bids", []):
            amount = b["bid"].get("amount", {})
            try:
                value = decimal.Decimal(amount.get("amount", ""))
            except decimal.InvalidOperation:
                value = None
            c["bids"].append({"bidder": b["bid"]["bidder"]["id"],
                              "name": b["bid"]["bidder"].get("name", ""),
                              "status": b.get("status", "valid"), "amount": value,
                              "currency": amount.get("currency", ""),
                              "at": parse_time(b["bid"].get("occurred_at"))})
        out.append(c)
    return out


def active(bid):
    return bid["status"] != "withdrawn"


def bidders(c):
    return len({b["bidder"] for b in c["bids"] if active(b)})


def won(c, party):
    return c["status"] == "decided" and party in c["winners"]


def flags_of(c, now):
    decided = c["status"] == "decided"
    over = decided or (c["deadline"] is not None and c["deadline"] <= now)
    flags = set()
    if c["method"] in COMPETITIVE and over and c["status"] != "void" and bidders(c) == 1:
        flags.add("single_bid")
    if c["method"] in COMPETITIVE and c["deadline"] and c["discovered"]:
        period = c["deadline"] - c["discovered"]
        if datetime.timedelta(0) <= period < SHORT:
            flags.add("short_submission_period")
    bids = c["bids"]
    for i, a in enumerate(bids):
        for b in bids[i + 1:]:
            if (active(a) and active(b) and a["amount"] is not None and b["amount"] is not None
                    and a["bidder"] != b["bidder"] and a["currency"] == b["currency"]
                    and a["amount"] == b["amount"]):
                flags.add("identical_bid_prices")
    if decided:
        for i, b in enumerate(bids[:64]):
            if active(b) and c["deadline"] and b["at"] > c["deadline"] and won(c, b["bidder"]):
                flags.add("late_bid_won")
        others = [b for b in bids if active(b) and not won(c, b["bidder"])]
        if (any(bid_index(bids, w) >= 0 for w in c["winners"]) and others
                and all(b["status"] == "disqualified" for b in others)):
            flags.add("all_other_bids_disqualified")
    priced = [b for b in bids if active(b) and b["amount"] is not None]
    if len(priced) >= 2 and len({b["currency"] for b in priced}) == 1:
        lowest = min(b["amount"] for b in priced)
        if any(b["amount"] == lowest and b["status"] == "disqualified" for b in priced):
            flags.add("lowest_bid_disqualified")
    return flags


def price_gap(c):
    if c["status"] != "decided":
        return None
    winning = None
    for w in c["winners"]:
        i = bid_index(c["bids"], w)
        if i >= 0 and c["bids"][i]["status"] == "valid" and c["bids"][i]["amount"] is not None:
            winning = c["bids"][i]
            break
    if winning is None or winning["amount"] <= 0:
        return None
    others = [b["amount"] for b in c["bids"]
              if b["status"] == "valid" and b["amount"] is not None
              and not won(c, b["bidder"]) and b["currency"] == winning["currency"]]
    if not others or min(others) < winning["amount"]:
        return None
    return float((min(others) - winning["amount"]) / winning["amount"])


def quantile(values, q):
    rank = q * (len(values) - 1)
    below = int(rank)
    above = min(below + 1, len(values) - 1)
    return values[below] + (rank - below) * (values[above] - values[below])


def incumbents(competitions):
    by_buyer = collections.defaultdict(list)
    for c in competitions:
        if c["status"] == "decided":
            by_buyer[c["buyer"]].append(c)
    result = {}
    for buyer, awarded in by_buyer.items():
        awarded.sort(key=lambda c: (c["award_at"], c["tender_id"], c["lot_id"]), reverse=True)
        last = awarded[:10]
        order, wins = [], collections.Counter()
        for c in last:
            for w in c["winners"]:
                if w not in wins:
                    order.append(w)
                wins[w] += 1
        if not order:
            continue
        best = max(order, key=lambda w: (wins[w], -order.index(w)))
        if wins[best] < 3 or 2 * wins[best] < len(last):
            continue
        single = sum(1 for c in last if won(c, best) and bidders(c) == 1)
        result[buyer] = (best, wins[best], len(last), single)
    return result


def exact(value):
    """Decimal's shortest exact text, as the server writes amounts."""
    text = format(value.normalize(), "f")
    return text


def main():
    folder = tempfile.mkdtemp(prefix="bidtrail-signals-")
    server = Server(folder)
    try:
        server.cli("auth", "init", "root")
        samples = os.path.join(ROOT, "tests", "data", "ocds")
        # A thread count out of range: a usage error naming the flag, and
        # nothing imported.
        zero = subprocess.run([os.path.join(BIN, "bidtrail"), "import", "ocds", "--threads", "0",
                               samples], env=server.env, capture_output=True, text=True)
        check(zero.returncode == 2 and "--threads: 0; must be 1 to 256" in zero.stderr,
              "import --threads 0 is refused (exit %d: %s)"
              % (zero.returncode, zero.stderr.strip()[-200:]))
        check(server.cli("tender", "list", "--all", "--json").strip() == "",
              "a refused import appends nothing")
        # Three append threads; the default's import afterwards finds it all there.
        server.cli("import", "ocds", "--threads", "3", samples)
        again = json.loads(server.cli("import", "ocds", samples, "--json"))
        check(again["events_appended"] == 0 and again["events_already_recorded"] > 0,
              "importing the samples again appends nothing (%s)"
              % {k: again.get(k) for k in ("events_appended", "events_already_recorded")})
        # A file that is not OCDS: said so, and the exit status says so too.
        wrong = subprocess.run([os.path.join(BIN, "bidtrail"), "import", "ocds",
                                os.path.join(ROOT, "README.md")],
                               env=server.env, capture_output=True, text=True)
        check(wrong.returncode == 1 and "nothing imported" in wrong.stderr,
              "importing a file that is not OCDS fails (exit %d: %s)"
              % (wrong.returncode, wrong.stderr.strip()[-200:]))
        now = datetime.datetime.now(datetime.timezone.utc)
        ids = [json.loads(line)["tender_id"]
               for line in server.cli("tender", "list", "--all", "--json").splitlines()]
        competitions = []
        for tender_id in ids:
            competitions += competitions_of(json.loads(server.cli("tender", "show", tender_id,
                                                                  "--json")))
        check(len(ids) >= 20, "the samples import (%d tenders, %d competitions)"
              % (len(ids), len(competitions)))

        # Flags of every competition.
        expected = {}
        for c in competitions:
            for kind in flags_of(c, now):
                expected.setdefault((c["tender_id"], c["lot_id"]), set()).add(kind)
        gaps = [(c, g) for c in competitions for g in [price_gap(c)] if g is not None]
        ours = json.loads(server.cli("signals", "--top", "1000", "--json"))
        if len(gaps) >= 4:
            values = sorted(g for _, g in gaps)
            q1, q3 = quantile(values, 0.25), quantile(values, 0.75)
            threshold = q1 - 1.5 * (q3 - q1)
            check(abs(ours.get("price_gap_threshold", float("nan")) - threshold) < 1e-9,
                  "price-gap threshold %.6f over %d gaps" % (threshold, len(gaps)))
            for c, g in gaps:
                if g < threshold:
                    expected.setdefault((c["tender_id"], c["lot_id"]), set()).add(
                        "price_close_to_winning_bid")
        else:
            check("price_gap_threshold" not in ours,
                  "no price-gap threshold with %d gaps (fewer than 4)" % len(gaps))
        check(ours.get("price_gaps", 0) == len(gaps), "price gaps: %d" % len(gaps))

        buyers = sorted({c["buyer"] for c in competitions})
        got = {}
        for buyer in buyers:
            response = json.loads(server.cli("signals", "--buyer", buyer, "--json"))
            for s in response.get("signals", []):
                got.setdefault((s["tender_id"], s["lot_id"]), set()).add(s["kind"])
        check(got == expected, "every competition's flags (%d flagged, %d flags)"
              % (len(expected), sum(len(v) for v in expected.values())))
        for key in sorted(set(got) | set(expected)):
            if got.get(key) != expected.get(key):
                print("     %s: server %s, computed %s" % (key, got.get(key), expected.get(key)))

        # Each buyer's figures.
        by_buyer = {b["buyer"]["id"]: b for b in ours["buyers"]}
        check(sorted(by_buyer) == buyers, "every buyer summarised (%d)" % len(buyers))
        incumbent_of = incumbents(competitions)
        mismatches = []
        for buyer in buyers:
            mine = [c for c in competitions if c["buyer"] == buyer]
            over = [c for c in mine if c["method"] in COMPETITIVE and c["status"] != "void"
                    and bidders(c) >= 1 and (c["status"] == "decided" or
                                              (c["deadline"] and c["deadline"] <= now))]
            single = [c for c in over if bidders(c) == 1]
            decided = [c for c in mine if c["status"] == "decided"]
            currencies = collections.Counter(c["award_currency"] for c in decided
                                             if c["award_value"] is not None)
            want = {"competitions": len(mine), "competitive": len(over), "single_bid": len(single),
                    "awards": len(decided),
                    "flagged_competitions": sum(1 for c in mine
                                                if (c["tender_id"], c["lot_id"]) in expected)}
            if over:
                want["single_bid_rate"] = len(single) / len(over)
            if currencies:
                top_count = max(currencies.values())
                currency = min(k for k, v in currencies.items() if v == top_count)
                total = decimal.Decimal(0)
                shares = collections.Counter()
                for c in decided:
                    if c["award_value"] is None or c["award_currency"] != currency or not c["winners"]:
                        continue
                    total += c["award_value"]
                    share = (c["award_value"] / len(c["winners"])).quantize(
                        decimal.Decimal("1e-9"), rounding=decimal.ROUND_HALF_UP)
                    for w in c["winners"]:
                        shares[w] += share
                want["currency"] = currency
                want["awarded_value"] = exact(total)
                if shares and total > 0:
                    best = max(shares.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0]]))
                    want["top_supplier"] = best[0]
                    want["top_supplier_share"] = float(best[1]) / float(total)
            if buyer in incumbent_of:
                want["incumbent"] = incumbent_of[buyer]
            have = by_buyer.get(buyer, {})
            seen = {k: have.get(k, 0) for k in ("competitions", "competitive", "single_bid",
                                                 "awards", "flagged_competitions")}
            for k in ("single_bid_rate", "currency", "awarded_value", "top_supplier_share"):
                if have.get(k, "") != "":  # the JSON writes every plain field, "" when unset
                    seen[k] = have[k]
            if "top_supplier" in have:
                seen["top_supplier"] = have["top_supplier"]["id"]
            if "incumbent" in have:
                i = have["incumbent"]
                seen["incumbent"] = (i["supplier"]["id"], i["awards_won"], i["awards_considered"],
                                     i.get("won_with_single_bid", 0))
            for k in set(want) | set(seen):
                a, b = want.get(k), seen.get(k)
                same = (abs(a - b) < 1e-9 if isinstance(a, float) and isinstance(b, (int, float))
                        else a == b)
                if not same:
                    mismatches.append("%s %s: server %r, computed %r" % (buyer, k, b, a))
        check(not mismatches, "every buyer's competitions, single-bid rate, awards, concentration "
              "and incumbent (%d incumbents)" % len(incumbent_of))
        for line in mismatches:
            print("     " + line)

        # The incumbent a tender's timeline shows (the query service keeps each
        # buyer's once computed): one tender of each buyer, asked twice.
        timeline_mismatches = []
        for buyer in buyers:
            tender_id = min(c["tender_id"] for c in competitions if c["buyer"] == buyer)
            for attempt in ("first", "again"):
                shown = json.loads(server.cli("timeline", tender_id, "--json")).get("incumbent")
                seen = None
                if shown:
                    seen = (shown["supplier"]["id"], shown["awards_won"],
                            shown["awards_considered"], shown.get("won_with_single_bid", 0))
                if seen != incumbent_of.get(buyer):
                    timeline_mismatches.append("%s (%s, %s): server %r, computed %r" % (
                        buyer, tender_id, attempt, seen, incumbent_of.get(buyer)))
        check(not timeline_mismatches, "each buyer's incumbent on its tenders' timelines "
              "(%d buyers)" % len(buyers))
        for line in timeline_mismatches:
            print("     " + line)

        # Suppliers that win with one buyer only.
        awards = collections.defaultdict(list)
        for c in competitions:
            if c["status"] == "decided":
                for w in c["winners"]:
                    awards[w].append(c["buyer"])
        want = sorted((s, len(b), b[0]) for s, b in awards.items() if len(b) >= 3 and len(set(b)) == 1)
        have = sorted((s["supplier"]["id"], s["awards"], s["buyer"]["id"])
                      for s in ours.get("suppliers", []))
        check(have == want, "suppliers winning with one buyer only: %s" % want)
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", folder])
    if FAILURES:
        print("%d failed" % len(FAILURES))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
