// Internal to filters/received: SpamAssassin's textual IP grammar (Constants.pm IP_ADDRESS,
// LOCALHOST, IP_PRIVATE) as hand-written scanners, and the clean-up SpamAssassin applies
// to a relay's IP before rendering it.
// Untrusted input: any text (a normalised Received value, an X-Originating-IP value).
// Limits: every function is linear in the text it looks at and allocates nothing beyond
// its result.
// Gaps: IP_PRIVATE's IPv4-mapped and ::1 spellings with explicit zero groups are accepted
// in any standard compressed form (SpamAssassin lists a few shapes and misses others);
// unique-local fc00::/7 is not private, as in SpamAssassin 4.0.1.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::received {

// Where an IP_ADDRESS match starting at text[pos] may end, in the order Perl's alternation
// would try them (dotted quad; IPv4-mapped IPv6; plain IPv6). Includes a leading "IPv6:"
// (any case) and honours the pattern's look-behind/look-ahead on the surrounding text.
// Returns how many ends were written (0..3).
std::size_t ip_address_ends(std::string_view text, std::size_t pos,
                            std::array<std::size_t, 3>& ends);

// The same for LOCALHOST ("localhost", "localhost.localdomain", 127.0.0.1, ::1 and the
// IPv4-mapped 127.0.0.1), any case.
std::size_t localhost_ends(std::string_view text, std::size_t pos,
                           std::array<std::size_t, 3>& ends);

// The leftmost IP_ADDRESS in text (first alternative that matches), or empty.
std::string_view find_ip_address(std::string_view text);

// IP_PRIVATE on a cleaned relay IP (127/8, 10/8, 172.16/12, 192.168/16, 169.254/16,
// 100.64/10, fe80::/10, ::1 and IPv4-mapped private addresses).
bool ip_is_private(std::string_view ip);

// The clean-up of a captured IP: drop "IPv6:" (any case), one leading '[' and one
// trailing ']', an IPv6 zone ("%eth0"), and a zero-prefixed "::ffff:" in front of a
// dotted quad.
std::string clean_ip(std::string_view ip);

}  // namespace portcullis::received
