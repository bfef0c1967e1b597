#!/usr/bin/python3
"""Writes the hand-made messages of bench/corpus/sa/ (run once; the .eml files are checked in).

Ham and spam-like mail we wrote ourselves for bench/sa_agreement.py: plain text, HTML,
multipart/alternative, base64 and quoted-printable bodies, attachments, common spam phrasing,
phishing URLs, obfuscated words, several mailers' headers and Received chains. Every domain
is example.*/.test and every IP is from RFC 5737 (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24). Deterministic: no clock, no randomness.
"""
import base64
import os
import quopri

OUT = os.path.dirname(os.path.abspath(__file__))

MAILERS = {
    "outlook": ("X-Mailer: Microsoft Outlook 16.0\nX-MimeOLE: Produced By Microsoft MimeOLE\n"),
    "thunderbird": "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0\n",
    "apple": "X-Mailer: Apple Mail (2.3731.700.6)\n",
    "php": "X-Mailer: PHP/7.4.3\nX-PHP-Originating-Script: 1000:mailer.php\n",
    "mutt": "User-Agent: Mutt/2.2.9 (2022-11-12)\n",
    "bulk": "X-Mailer: MailBlaster Pro 3.2\nPrecedence: bulk\n",
    "none": "",
}


def received(chain):
    lines = []
    for i, (helo, rdns, ip, by) in enumerate(chain):
        lines.append(
            f"Received: from {helo} ({rdns} [{ip}])\n\tby {by} (Postfix) with ESMTP id 4B{i}C{i}D{i}E\n"
            f"\tfor <user@example.org>; Mon, 4 Mar 2024 10:1{i}:00 +0000 (UTC)\n")
    return "".join(lines)


STD_CHAIN = [("mail.example.com", "mail.example.com", "192.0.2.10", "mx.example.org")]
TWO_HOP = [("relay.example.net", "relay.example.net", "198.51.100.20", "mx.example.org"),
           ("client.example.net", "unknown", "203.0.113.7", "relay.example.net")]
DYN_CHAIN = [("pc-203-0-113-45.dyn.example.net", "203-0-113-45.dyn.example.net", "203.0.113.45", "mx.example.org")]
NO_RDNS = [("localhost", "unknown", "198.51.100.99", "mx.example.org")]


def headers(frm, to, subject, date="Mon, 4 Mar 2024 10:00:00 +0000", msgid=None, mailer="thunderbird",
            chain=STD_CHAIN, extra="", mime="1.0"):
    msgid = msgid or f"<{abs(hash_text(subject + frm)) % 10**12}.{len(subject)}@{frm.split('@')[-1].rstrip('>')}>"
    h = received(chain) if chain else ""
    h += f"From: {frm}\nTo: {to}\nSubject: {subject}\nDate: {date}\nMessage-ID: {msgid}\n"
    if mime:
        h += f"MIME-Version: {mime}\n"
    h += MAILERS[mailer] + extra
    return h


def hash_text(s):
    v = 0
    for c in s.encode():
        v = (v * 131 + c) % (2**61 - 1)
    return v


def plain(body, charset="us-ascii", cte="7bit"):
    if cte == "quoted-printable":
        body = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    elif cte == "base64":
        body = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n{body}"


def html(body, charset="utf-8", cte="7bit"):
    if cte == "quoted-printable":
        body = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    elif cte == "base64":
        body = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return f"Content-Type: text/html; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n{body}"


def alternative(text_part, html_part, boundary="=_alt_0001"):
    return (f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n"
            f"This is a multi-part message in MIME format.\n\n--{boundary}\n{text_part}\n--{boundary}\n"
            f"{html_part}\n--{boundary}--\n")


def mixed(parts, boundary="=_mix_0001"):
    out = f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
    for p in parts:
        out += f"--{boundary}\n{p}\n"
    return out + f"--{boundary}--\n"


def attachment(name, ctype, data):
    enc = base64.encodebytes(data).decode("ascii")
    return (f"Content-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\n"
            f"Content-Transfer-Encoding: base64\n\n{enc}")


MESSAGES = {}


def msg(name, hdrs, body):
    MESSAGES[name] = hdrs + body


# ---------------------------------------------------------------- ham
msg("ham-01-plain-colleague", headers('"Alice Martin" <alice@example.com>', "Bob <bob@example.org>",
    "Notes from Tuesday's design review"),
    plain("Hi Bob,\n\nThanks for joining the review. The notes are below; please add anything I missed.\n\n"
          "1. The queue limits stay as they are until the load test.\n2. We move the retry timer to the config.\n\n"
          "Cheers,\nAlice\n"))
msg("ham-02-reply-thread", headers('Bob <bob@example.org>', '"Alice Martin" <alice@example.com>',
    "Re: Notes from Tuesday's design review", mailer="mutt", chain=TWO_HOP,
    extra="In-Reply-To: <1234.56@example.com>\nReferences: <1234.56@example.com>\n"),
    plain("On Tue, Alice Martin wrote:\n> Thanks for joining the review.\n\nLooks good. One more item: the "
          "metrics names need the unit suffix.\n\n-- \nBob\n"))
msg("ham-03-newsletter-html", headers('"Example Weekly" <news@example.net>', "reader@example.org",
    "Example Weekly: five articles on storage", mailer="none",
    extra="List-Unsubscribe: <https://news.example.net/unsub?u=42>\nList-Id: <weekly.news.example.net>\n"
          "Precedence: list\n"),
    alternative(plain("This week: five articles on storage.\nRead online: https://news.example.net/w/42\n"),
                html("<html><body><h1>Example Weekly</h1><p>This week: five articles on storage.</p>"
                     "<p><a href=\"https://news.example.net/w/42\">Read online</a></p>"
                     "<p><a href=\"https://news.example.net/unsub?u=42\">Unsubscribe</a></p></body></html>")))
msg("ham-04-qp-french", headers('"Zoé Durand" <zoe@example.fr>', "team@example.org",
    "=?UTF-8?Q?R=C3=A9union_de_lundi?=", mailer="apple"),
    plain("Bonjour à tous,\n\nLa réunion de lundi est déplacée à 14h. Merci de confirmer votre présence.\n\n"
          "Zoé\n", charset="utf-8", cte="quoted-printable"))
msg("ham-05-base64-invoice-pdf", headers('"Billing" <billing@example.com>', "accounts@example.org",
    "Invoice 2024-0317 for February", mailer="outlook"),
    mixed([plain("Hello,\n\nPlease find attached invoice 2024-0317 for February.\n\nRegards,\nBilling team\n"),
           attachment("invoice-2024-0317.pdf", "application/pdf", b"%PDF-1.4\n% test document\n1 0 obj<<>>endobj\n%%EOF\n")]))
msg("ham-06-mailing-list", headers('Carol <carol@example.com>', "dev@lists.example.org",
    "[dev] Patch: fix off-by-one in the parser", mailer="thunderbird", chain=TWO_HOP,
    extra="List-Id: Developers <dev.lists.example.org>\nList-Post: <mailto:dev@lists.example.org>\n"
          "Sender: dev-bounces@lists.example.org\nPrecedence: list\n"),
    plain("The attached patch fixes the off-by-one when the line ends exactly at the buffer end.\n\n"
          "diff --git a/parser.c b/parser.c\n- if (n > len)\n+ if (n >= len)\n\n_______________________________________________\n"
          "dev mailing list\ndev@lists.example.org\nhttps://lists.example.org/listinfo/dev\n"))
msg("ham-07-calendar", headers('"Calendar" <calendar@example.com>', "bob@example.org",
    "Invitation: Quarterly planning @ Thu 7 Mar 2024 15:00", mailer="none"),
    alternative(plain("You have been invited to Quarterly planning.\nWhen: Thu 7 Mar 2024 15:00 UTC\n"),
                html("<p>You have been invited to <b>Quarterly planning</b>.</p><p>When: Thu 7 Mar 2024 15:00 UTC</p>")))
msg("ham-08-password-reset-legit", headers('"Example Support" <noreply@example.com>', "user@example.org",
    "Your password was changed", mailer="none"),
    plain("Hello,\n\nThe password of your account was changed on 4 March 2024. If this was you, no action is "
          "needed.\nIf not, contact support at https://www.example.com/support\n"))
msg("ham-09-short-note", headers("dave@example.net", "erin@example.org", "lunch?", mailer="apple"),
    plain("12:30 at the usual place?\n"))
msg("ham-10-receipt-html-qp", headers('"Example Shop" <orders@shop.example.com>', "buyer@example.org",
    "Your order #10042 has shipped", mailer="none"),
    html("<html><body><table><tr><td>Order</td><td>#10042</td></tr><tr><td>Total</td><td>$24.90</td></tr></table>"
         "<p>Track it at <a href=\"https://shop.example.com/track/10042\">shop.example.com</a>.</p></body></html>",
         cte="quoted-printable"))
msg("ham-11-german-utf8", headers('"Jürgen Weiß" <juergen@example.de>', "team@example.org",
    "=?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=", mailer="thunderbird"),
    plain("Hallo zusammen,\n\nanbei die Folien vom Vortrag. Schöne Grüße aus München!\n\nJürgen\n",
          charset="utf-8", cte="8bit"))
msg("ham-12-github-style-notification", headers('"Example Git" <notifications@git.example.com>', "dev@example.org",
    "Re: [example/portcullis] Add milter front door (PR #42)", mailer="none",
    extra="List-Unsubscribe: <mailto:unsub@git.example.com>\nX-Auto-Response-Suppress: All\n"),
    alternative(plain("@carol approved this pull request.\n\nView it on Example Git:\nhttps://git.example.com/example/portcullis/pull/42\n"),
                html("<p><b>@carol</b> approved this pull request.</p><p><a href=\"https://git.example.com/example/portcullis/pull/42\">View it</a></p>")))
msg("ham-13-cron", headers('"Cron Daemon" <root@host.example.org>', "root@host.example.org",
    "Cron <root@host> /usr/local/bin/backup", mailer="none", chain=None,
    extra="X-Cron-Env: <SHELL=/bin/sh>\n"),
    plain("backup: 3 files, 12 MB, done in 4 s\n"))
msg("ham-14-attachment-docx", headers('"Frank" <frank@example.com>', "grace@example.org",
    "Draft contract for review", mailer="outlook"),
    mixed([plain("Grace,\n\nHere is the draft. Comments welcome by Friday.\n\nFrank\n"),
           attachment("draft-contract.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      b"PK\x03\x04 not really a docx")]))
msg("ham-15-long-technical", headers('Heidi <heidi@example.com>', "ops@example.org",
    "Postmortem: storage outage on 2 March", mailer="thunderbird"),
    plain("Summary\n=======\n\nOn 2 March the storage cluster lost quorum for 14 minutes.\n\n" +
          "Timeline\n--------\n" + "".join(f"10:{m:02d} step {m}: checked node {m % 5}, nothing unusual\n" for m in range(20)) +
          "\nAction items\n------------\n- add an alert on quorum size\n- document the manual failover\n"))

# ---------------------------------------------------------------- spam-like
msg("spam-01-pharmacy", headers('"Online Pharmacy" <sales@pharma.example.biz>', "undisclosed-recipients:;",
    "Cheap V1AGRA and CIALIS - 80% OFF!!!", mailer="bulk", chain=DYN_CHAIN),
    plain("Best prices on viagra, cialis, levitra!!! No prescription needed.\n\nOrder now: http://192.0.2.55/pharma/\n"
          "Discreet shipping worldwide. 100% satisfaction guaranteed.\n\nTo be removed from our list reply with REMOVE.\n"))
msg("spam-02-advance-fee", headers('"Mr. Barrister James" <barrister.james@example.ng>', "friend@example.org",
    "URGENT BUSINESS PROPOSAL - STRICTLY CONFIDENTIAL", mailer="none", chain=NO_RDNS,
    extra="Reply-To: james.private@freemail.example.com\n"),
    plain("Dear Friend,\n\nI am Barrister James, the personal attorney to the late Mr. Williams, a foreign contractor who "
          "died in a car accident. He left the sum of US$15,500,000.00 (Fifteen Million Five Hundred Thousand United States "
          "Dollars) in a bank here. I seek your consent to present you as the next of kin so that the funds can be "
          "transferred to your account. You will receive 40% of the total sum.\n\nThis transaction is 100% risk free. "
          "Please send your full name, phone number and bank details.\n\nYours faithfully,\nBarrister James\n"))
msg("spam-03-phish-bank-html", headers('"Example Bank Security" <security@examp1e-bank.example.net>', "customer@example.org",
    "Action required: your account has been suspended", mailer="php", chain=DYN_CHAIN),
    html("<html><body><p>Dear Customer,</p><p>We detected unusual activity and your account has been "
         "<b>suspended</b>. To restore access, verify your identity within 24 hours.</p>"
         "<p><a href=\"http://203.0.113.66/secure/login.php?id=8812\">https://www.example-bank.com/verify</a></p>"
         "<p>Failure to verify will result in permanent closure.</p><p>Example Bank Security Team</p></body></html>"))
msg("spam-04-lottery", headers('"Euro Lotto Claims" <claims@lotto.example.info>', "winner@example.org",
    "Congratulations! You have WON 1,000,000 EUR", mailer="none", chain=NO_RDNS),
    plain("CONGRATULATIONS!!!\n\nYour email address has won the sum of ONE MILLION EURO in our international "
          "lottery draw held on 1 March. Your winning number is 7-13-22-41. To claim your prize, contact our claims "
          "agent with your ticket number, full name, address and a copy of your ID.\n\nClaims fee: 250 EUR via "
          "Western Union.\n"))
msg("spam-05-base64-html-offer", headers('"Deals" <deals@offers.example.biz>', "you@example.org",
    "Limited time offer just for you", mailer="bulk", chain=DYN_CHAIN),
    html("<html><body bgcolor=\"#ffffff\"><center><font size=\"5\" color=\"red\">LIMITED TIME OFFER</font><br>"
         "<a href=\"http://offers.example.biz/click?id=991\"><img src=\"http://offers.example.biz/banner.jpg\" "
         "width=\"600\" height=\"300\"></a><br><font size=\"1\">Click here to unsubscribe</font></center></body></html>",
         cte="base64"))
msg("spam-06-obfuscated", headers('"Meds" <meds@example.biz>', "someone@example.org",
    "V.i.a.g.r.a  - p.h.a.r.m.a.c.y", mailer="none", chain=DYN_CHAIN),
    plain("G e t  V i a g r a  n o w\nv1@gra c1al1s x@nax\nV-I-A-G-R-A for only $0.99 per pill\n"
          "http://pills.example.biz/?ref=7\n"))
msg("spam-07-stock", headers('"Stock Alert" <alert@stocks.example.biz>', "investor@example.org",
    "This stock is set to EXPLODE - act now", mailer="outlook", chain=DYN_CHAIN),
    plain("Company: Example Mining Corp\nSymbol: EXMC\nCurrent price: $0.12\nTarget: $2.50\n\n"
          "This stock is about to explode! Huge news release expected next week. Get in before the big "
          "announcement. Strong buy recommendation.\n\nThis newsletter is a paid advertisement.\n"))
msg("spam-08-exe-attachment", headers('"DHL Express" <noreply@dhl-delivery.example.net>', "customer@example.org",
    "Delivery failure notification #88231", mailer="none", chain=NO_RDNS),
    mixed([plain("Dear customer,\n\nYour parcel could not be delivered. Please open the attached document to see "
                 "the details and print the label.\n"),
           attachment("label_88231.pdf.exe", "application/octet-stream", b"MZ\x90\x00 fake executable")]))
msg("spam-09-no-headers", "From: x@example.biz\nSubject: hi\n\n", "make money fast working from home!!! "
    "earn $5000 per week guaranteed. click http://198.51.100.77/work\n")
msg("spam-10-image-only", headers('"Promo" <promo@example.biz>', "list@example.org", "", mailer="bulk", chain=DYN_CHAIN),
    html("<html><body><a href=\"http://promo.example.biz/\"><img src=\"cid:img1\"></a></body></html>"))
msg("spam-11-sextortion", headers("hacker@example.biz", "victim@example.org",
    "Your account is hacked! Change your password!", mailer="none", chain=NO_RDNS),
    plain("Hello!\n\nI am a hacker who has access to your operating system. I installed a malware on your device and "
          "recorded a video with your webcam. To delete it, pay me $950 in Bitcoin to this BTC wallet address: "
          "1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n\nYou have 48 hours after opening this email. Do not contact the police.\n"))
msg("spam-12-fake-invoice-link", headers('"Accounts Payable" <ap@example-invoices.example.net>', "finance@example.org",
    "Overdue invoice - payment required today", mailer="outlook", chain=DYN_CHAIN),
    html("<p>Hi,</p><p>Your invoice INV-4471 is <b>overdue</b>. Please review and pay today to avoid late fees.</p>"
         "<p><a href=\"https://bit.example/3xY7z\">View Invoice</a></p><p>Thanks,<br>Accounts Payable</p>"))
msg("spam-13-qp-html-mortgage", headers('"Low Rates" <rates@mortgage.example.biz>', "homeowner@example.org",
    "Refinance today - rates as low as 2.9%", mailer="bulk", chain=DYN_CHAIN),
    html("<html><body><p>Dear Homeowner,</p><p>You have been pre-approved for a low interest mortgage. "
         "Refinance now and save hundreds every month. No obligation, no cost.</p>"
         "<p><a href=\"http://mortgage.example.biz/apply\">Apply now</a></p>"
         "<p>If you no longer wish to receive these emails, <a href=\"http://mortgage.example.biz/remove\">click here</a>.</p>"
         "</body></html>", cte="quoted-printable"))
msg("spam-14-all-caps", headers("PROMO@EXAMPLE.BIZ", "user@example.org", "FREE GIFT CARD WAITING FOR YOU",
    mailer="none", chain=DYN_CHAIN),
    plain("YOU HAVE BEEN SELECTED TO RECEIVE A FREE $500 GIFT CARD. CLICK BELOW TO CLAIM YOUR REWARD NOW.\n"
          "HTTP://GIFTS.EXAMPLE.BIZ/CLAIM\nOFFER EXPIRES TONIGHT!!!\n"))
msg("spam-15-forged-outlook-msgid", headers('"Support Team" <support@example.biz>', "user@example.org",
    "Important notice regarding your mailbox", mailer="outlook", msgid="<20240304100000.ABCDEF@example.biz>",
    chain=DYN_CHAIN),
    plain("Your mailbox has exceeded its storage limit. You may not be able to send or receive new mail until you "
          "re-validate your mailbox. To re-validate, click here: http://203.0.113.12/owa/validate\n\nSystem Administrator\n"))
msg("spam-16-unicode-lookalike", headers('"Αpple Support" <support@apple-id.example.net>', "user@example.org",
    "=?UTF-8?B?WW91ciBBcHBsZSBJRCBoYXMgYmVlbiBsb2NrZWQ=?=", mailer="none", chain=DYN_CHAIN),
    plain("Your Apple ID has been locked for security reasons. Сonfirm your ассоunt information here: "
          "http://apple-id.example.net/confirm\n", charset="utf-8", cte="base64"))
msg("spam-17-future-date", headers("offers@example.biz", "user@example.org", "Act now: exclusive offer",
    date="Sat, 1 Jan 2033 00:00:00 +0000", mailer="none", chain=DYN_CHAIN),
    plain("Exclusive offer for our valued customers. Limited supply.\nhttp://offers.example.biz/x\n"))
msg("spam-18-missing-to", "Received: from unknown (HELO example.biz) (203.0.113.99)\n  by mx.example.org with SMTP; "
    "Mon, 4 Mar 2024 10:00:00 +0000\nFrom: \"Cash\" <cash@example.biz>\nSubject: Fast cash loans - guaranteed approval\n"
    "Date: Mon, 4 Mar 2024 10:00:00 +0000\n\n",
    "Need cash fast? Get a loan today with guaranteed approval. Bad credit OK. Apply online in 5 minutes.\n")
msg("spam-19-html-hidden-text", headers('"Newsletter" <news@example.biz>', "reader@example.org",
    "Your weekly update", mailer="bulk", chain=DYN_CHAIN),
    html("<html><body><p>Great deals inside</p><div style=\"display:none\">friendship river table apple banana "
         "orange window market</div><font color=\"#ffffff\">hidden words here to fool filters</font>"
         "<p><a href=\"http://example.biz/deal\">See deals</a></p></body></html>"))
msg("spam-20-crypto-invest", headers('"Crypto Wealth" <invest@example.biz>', "user@example.org",
    "Turn $250 into $10,000 in 30 days with Bitcoin", mailer="none", chain=DYN_CHAIN),
    plain("Join thousands of people earning passive income with our automated Bitcoin trading robot. "
          "Minimum deposit $250. Guaranteed returns. Sign up: https://crypto.example.biz/join\n"))
msg("spam-21-dating", headers('"Anna" <anna1991@freemail.example.com>', "user@example.org",
    "hi dear, i saw your profile", mailer="none", chain=NO_RDNS),
    plain("hello dear, my name is Anna, I am 29 years old lonely woman looking for serious relationship. "
          "I saw your profile and want to know you better. write me to my private email anna.private@example.com\n"))
msg("spam-22-zip-attachment", headers('"Scanner" <scanner@example.org>', "user@example.org",
    "Scanned document from MFP-3000", mailer="none", chain=NO_RDNS),
    mixed([plain("Please open the attached scanned document.\n"),
           attachment("scan_0304.zip", "application/zip", b"PK\x03\x04fake zip")]))
msg("spam-23-gtube-in-html", headers('"Tester" <test@example.com>', "user@example.org", "GTUBE in HTML", mailer="none"),
    html("<html><body><p>XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X</p></body></html>"))
msg("spam-24-replica-watches", headers('"Luxury Watches" <sales@watches.example.biz>', "user@example.org",
    "Replica Rolex watches - best quality", mailer="bulk", chain=DYN_CHAIN),
    plain("Swiss replica watches: Rolex, Omega, Breitling. Best quality, lowest prices, free shipping.\n"
          "Visit http://watches.example.biz now!\n"))
msg("spam-25-weight-loss", headers('"Slim Fast" <health@example.biz>', "user@example.org",
    "Lose 20 lbs in 2 weeks - doctors hate this", mailer="none", chain=DYN_CHAIN),
    plain("Lose weight fast without diet or exercise! This one weird trick burns fat while you sleep. "
          "Order your free trial bottle now: http://slim.example.biz/trial\n"))

# ---------------------------------------------------------------- variants
# The same phrasing through other mailers, encodings, relays and renderings: SpamAssassin's
# body rules see rendered text, rawbody the decoded source, full the bytes as sent.
PHRASES = [
    ("ham", "Meeting moved to Thursday", "Hi all,\n\nThe planning meeting moves to Thursday 10:00, same room.\n\nThanks,\nIvan\n"),
    ("ham", "Build 1.4.2 is green", "The nightly build 1.4.2 passed all tests. Artifacts: https://ci.example.com/b/142\n"),
    ("ham", "Photos from the trip", "Here are the photos from last weekend: https://photos.example.com/album/77\nEnjoy!\n"),
    ("ham", "Question about the API", "Hello,\n\nIs the v2 endpoint rate limited per key or per account?\n\nBest,\nJudy\n"),
    ("spam", "You are our lucky winner", "Dear winner, you have been selected to receive a brand new iPhone. Click here to claim: http://198.51.100.5/claim now!\n"),
    ("spam", "Work from home and earn $$$", "Earn extra cash working from home. No experience needed! Make $3000 a week. Reply now to get started!!!\n"),
    ("spam", "Verify your PayPal account", "Dear PayPal user, your account access has been limited. Please login to verify your information: http://203.0.113.88/paypal/login\n"),
    ("spam", "Hot singles in your area", "Meet hot singles in your area tonight! 100% free registration. Click here: http://date.example.biz/\n"),
    ("spam", "Cheap meds online", "Buy cheap meds online: viagra, cialis, xanax, valium. Lowest prices. No prescription required! http://meds.example.biz\n"),
    ("spam", "Urgent wire transfer request", "I need you to process an urgent wire transfer today. I am in a meeting, reply by email only. CEO\n"),
]
VARIANT_MAILERS = ["outlook", "thunderbird", "apple", "php", "mutt", "bulk", "none"]
VARIANT_CHAINS = [STD_CHAIN, TWO_HOP, DYN_CHAIN, NO_RDNS]
VARIANT_ENCODINGS = ["7bit", "quoted-printable", "base64"]
for i in range(24):
    kind, subject, text = PHRASES[i % len(PHRASES)]
    mailer = VARIANT_MAILERS[i % len(VARIANT_MAILERS)]
    chain = VARIANT_CHAINS[(i // 2) % len(VARIANT_CHAINS)]
    cte = VARIANT_ENCODINGS[(i // 3) % len(VARIANT_ENCODINGS)]
    frm = '"Sender %d" <sender%d@example.%s>' % (i, i, "com" if kind == "ham" else "biz")
    if i % 4 == 3:
        as_html = "<html><body><p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p></body></html>"
        body = alternative(plain(text, "utf-8", cte), html(as_html, cte=cte), boundary="=_v%02d" % i)
    elif i % 4 == 1:
        body = html("<html><body><div>" + text.replace("\n", "<br>\n") + "</div></body></html>", cte=cte)
    else:
        body = plain(text, "utf-8", cte)
    msg("%s-v%02d" % (kind, i), headers(frm, "user%d@example.org" % i, subject, mailer=mailer, chain=chain), body)

for name, text in MESSAGES.items():
    with open(os.path.join(OUT, name + ".eml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
print(f"wrote {len(MESSAGES)} messages to {OUT}")
