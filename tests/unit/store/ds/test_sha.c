/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of ds/sha: SHA-1's FIPS "abc" vector (hex and raw), and SHA-256
 * against the FIPS 180-4 example vectors (NIST's "abc", the empty string,
 * the 448-bit and 896-bit messages, a million 'a's), and at every length
 * around the block and padding boundaries against the digests Redis 7.4
 * stores for ACL passwords.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ds/sha.h"

static void check(const char *msg, size_t len, const char *want)
{
    char out[65];
    sha256_hex(out, msg, len);
    cr_assert_str_eq(out, want, "length %zu", len);
}

Test(sha1, fips_180_4_vectors)
{
    char out[41];
    sha1_hex(out, "abc", 3);
    cr_assert_str_eq(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex(out, "", 0);
    cr_assert_str_eq(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

/* The raw digest DEBUG DIGEST mixes: the same bytes as the hex digits. */
Test(sha1, raw_digest)
{
    static const unsigned char want[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
                                           0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
                                           0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    unsigned char out[20];
    sha1(out, "abc", 3);
    cr_assert_arr_eq(out, want, 20);
}

Test(sha256, fips_180_4_vectors)
{
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, a_million_a)
{
    static char a[1000000];
    memset(a, 'a', sizeof a);
    check(a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The hash Redis 7.4 shows for ">p1" (ACL GETUSER) and lengths 55, 56 and
 * 64, where the padding needs one block, two blocks, and a block of its
 * own (digests of that many 'x's, as sha256sum gives them). */
Test(sha256, padding_boundaries)
{
    check("p1", 2, "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a");
    char x[64];
    memset(x, 'x', sizeof x);
    check(x, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    check(x, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    check(x, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}
