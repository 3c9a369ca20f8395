/**
 * Short stable names for kernel objects whose real names are hashes: kube-router names chains
 * and ipsets with the first 16 base32 characters of a SHA-256 (pkg/controllers/netpol/pod.go
 * podFirewallChainName, policy.go networkPolicyChainName), which keeps them within iptables'
 * 28-character chain limit and ipset's 31. Its inputs include a sync timestamp, so no rendering
 * can reproduce the exact names; we keep the length and alphabet and hash with 128-bit FNV-1a,
 * which needs no crypto module (compiler/ is pure and also runs in the browser build).
 */

const FNV128_OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const FNV128_PRIME = 0x0000000001000000000000000000013bn;
const MASK128 = (1n << 128n) - 1n;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 16 characters of RFC 4648 base32 (80 bits) of a hash of `text`. */
export function base32Hash16(text: string): string {
  let h = FNV128_OFFSET;
  const bytes = new TextEncoder().encode(text);
  for (const byte of bytes) {
    h ^= BigInt(byte);
    h = (h * FNV128_PRIME) & MASK128;
  }
  // FNV's high bits mix poorly for inputs that differ near the end: fold the low half in twice.
  for (let round = 0; round < 2; round++) {
    h ^= h >> 64n;
    h = (h * FNV128_PRIME) & MASK128;
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += BASE32[Number((h >> BigInt(123 - i * 5)) & 31n)];
  return out;
}
