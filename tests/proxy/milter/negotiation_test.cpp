#include "proxy/milter/negotiation.hpp"

#include <gtest/gtest.h>

#include "milter_test_support.hpp"

namespace portcullis::milter::test {
namespace {

constexpr std::uint32_t kPostfixActions = 0x1ff;
constexpr std::uint32_t kPostfixProtocol = 0x1fffff;

TEST(MilterNegotiation, PostfixVersion6) {
  const Negotiation n = negotiate(OptionNegotiation{6, kPostfixActions, kPostfixProtocol});
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(n.ours.version, 6u);
  EXPECT_EQ(n.ours.actions, smfif::kAddHdrs | smfif::kChgHdrs | smfif::kQuarantine);
  EXPECT_EQ(n.ours.protocol, smfip::kNoUnknown | smfip::kNoData | smfip::kNrHdr | smfip::kHdrLeadspc);
  EXPECT_TRUE(n.missing.empty());
  EXPECT_TRUE(n.hdr_leadspc());
  EXPECT_EQ(n.reply, encode_optneg(6, 0x31, 0x100380));
  EXPECT_EQ(hex(n.reply), hex("\x00\x00\x00\x0d" "O" "\x00\x00\x00\x06" "\x00\x00\x00\x31" "\x00\x10\x03\x80"s));
  EXPECT_TRUE(n.macro_lists.empty());
}

TEST(MilterNegotiation, NeverAsksForWhatWasNotOffered) {
  // The MTA offers everything but SMFIP_NR_HDR, SMFIP_NODATA and SMFIF_CHGHDRS.
  const std::uint32_t actions = kPostfixActions & ~smfif::kChgHdrs;
  const std::uint32_t protocol = kPostfixProtocol & ~(smfip::kNrHdr | smfip::kNoData);
  const Negotiation n = negotiate(OptionNegotiation{6, actions, protocol});
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(n.ours.actions & ~actions, 0u);
  EXPECT_EQ(n.ours.protocol & ~protocol, 0u);
  EXPECT_EQ(n.ours.actions, smfif::kAddHdrs | smfif::kQuarantine);
  EXPECT_EQ(n.ours.protocol, smfip::kNoUnknown | smfip::kHdrLeadspc);
  EXPECT_EQ(n.missing, (std::vector<std::string>{"SMFIF_CHGHDRS", "SMFIP_NR_HDR", "SMFIP_NODATA"}));
  EXPECT_TRUE(n.expects_reply(smfic::kHeader));
  EXPECT_TRUE(n.mta_sends(smfic::kData));
}

TEST(MilterNegotiation, MissingAddHeadersFailsClearly) {
  const Negotiation n = negotiate(OptionNegotiation{6, kPostfixActions & ~smfif::kAddHdrs, kPostfixProtocol});
  EXPECT_FALSE(n.ok);
  EXPECT_TRUE(n.reply.empty());
  EXPECT_EQ(n.error,
            "MTA (milter protocol version 6) does not offer what portcullis requires: actions "
            "SMFIF_ADDHDRS (offered actions SMFIF_CHGBODY|SMFIF_ADDRCPT|SMFIF_DELRCPT|SMFIF_CHGHDRS|"
            "SMFIF_QUARANTINE|SMFIF_CHGFROM|SMFIF_ADDRCPT_PAR|SMFIF_SETSYMLIST, protocol "
            "SMFIP_NOCONNECT|SMFIP_NOHELO|SMFIP_NOMAIL|SMFIP_NORCPT|SMFIP_NOBODY|SMFIP_NOHDRS|"
            "SMFIP_NOEOH|SMFIP_NR_HDR|SMFIP_NOUNKNOWN|SMFIP_NODATA|SMFIP_SKIP|SMFIP_RCPT_REJ|"
            "SMFIP_NR_CONN|SMFIP_NR_HELO|SMFIP_NR_MAIL|SMFIP_NR_RCPT|SMFIP_NR_DATA|SMFIP_NR_UNKN|"
            "SMFIP_NR_EOH|SMFIP_NR_BODY|SMFIP_HDR_LEADSPC)");
}

TEST(MilterNegotiation, OldProtocolVersion) {
  // Version 2 offers no SMFIP_HDR_LEADSPC: refused by default, allowed when not required.
  const OptionNegotiation v2{2, 0x3f, 0x7f};
  const Negotiation strict = negotiate(v2);
  EXPECT_FALSE(strict.ok);
  EXPECT_NE(strict.error.find("protocol SMFIP_HDR_LEADSPC"), std::string::npos) << strict.error;
  NegotiationPolicy lenient;
  lenient.required_protocol = 0;
  const Negotiation n = negotiate(v2, lenient);
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(n.ours.version, 2u);
  EXPECT_EQ(n.ours.protocol, 0u);
  EXPECT_FALSE(n.hdr_leadspc());
  EXPECT_EQ(n.missing, (std::vector<std::string>{"SMFIP_NR_HDR", "SMFIP_NOUNKNOWN", "SMFIP_NODATA",
                                                 "SMFIP_HDR_LEADSPC"}));
  EXPECT_EQ(negotiate(OptionNegotiation{1, 0x3f, 0x7f}, lenient).error,
            "MTA speaks milter protocol version 1; at least 2 is needed");
  // A newer MTA gets our version.
  EXPECT_EQ(negotiate(OptionNegotiation{7, kPostfixActions, kPostfixProtocol}).ours.version, 6u);
}

TEST(MilterNegotiation, MacroListsOnlyWhenOffered) {
  NegotiationPolicy policy;
  policy.macro_lists = {{MacroStage::kEnvFrom, "i {auth_authen}"}};
  const Negotiation n = negotiate(OptionNegotiation{6, kPostfixActions, kPostfixProtocol}, policy);
  ASSERT_TRUE(n.ok);
  EXPECT_EQ(n.ours.actions, 0x131u);
  EXPECT_EQ(n.macro_lists, policy.macro_lists);
  EXPECT_EQ(n.reply, encode_optneg(6, 0x131, 0x100380, policy.macro_lists));
  const Negotiation no =
      negotiate(OptionNegotiation{6, kPostfixActions & ~smfif::kSetSymList, kPostfixProtocol}, policy);
  ASSERT_TRUE(no.ok);
  EXPECT_EQ(no.ours.actions, 0x31u);
  EXPECT_TRUE(no.macro_lists.empty());
  EXPECT_EQ(no.missing, (std::vector<std::string>{"SMFIF_SETSYMLIST"}));
}

TEST(MilterNegotiation, WhichCommandsGetReplies) {
  const Negotiation n = negotiate(OptionNegotiation{6, kPostfixActions, kPostfixProtocol});
  for (char c : {'C', 'H', 'M', 'R', 'N', 'B', 'E'}) EXPECT_TRUE(n.expects_reply(c)) << c;
  for (char c : {'L', 'D', 'A', 'Q', 'K', 'O', 'z'}) EXPECT_FALSE(n.expects_reply(c)) << c;
  for (char c : {'C', 'H', 'M', 'R', 'L', 'N', 'B', 'E', 'D', 'A', 'Q', 'K'}) EXPECT_TRUE(n.mta_sends(c)) << c;
  EXPECT_FALSE(n.mta_sends('U'));
  EXPECT_FALSE(n.mta_sends('T'));
  EXPECT_FALSE(n.mta_sends('z'));

  NegotiationPolicy quiet;
  quiet.wanted_protocol = smfip::kNrConn | smfip::kNrBody | smfip::kNoHelo | smfip::kHdrLeadspc;
  const Negotiation q = negotiate(OptionNegotiation{6, kPostfixActions, kPostfixProtocol}, quiet);
  EXPECT_FALSE(q.expects_reply('C'));
  EXPECT_FALSE(q.expects_reply('B'));
  EXPECT_TRUE(q.expects_reply('L'));
  EXPECT_FALSE(q.mta_sends('H'));
}

TEST(MilterNegotiation, FlagNames) {
  EXPECT_EQ(action_names(0x31), "SMFIF_ADDHDRS|SMFIF_CHGHDRS|SMFIF_QUARANTINE");
  EXPECT_EQ(action_names(0), "none");
  EXPECT_EQ(action_names(0x1001), "SMFIF_ADDHDRS|0x1000");
  EXPECT_EQ(protocol_names(smfip::kHdrLeadspc | smfip::kNrHdr), "SMFIP_NR_HDR|SMFIP_HDR_LEADSPC");
}

}  // namespace
}  // namespace portcullis::milter::test
