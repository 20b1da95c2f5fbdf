/**
 * Common and breached-pattern passwords refused for staff (ASVS 2.1.7: check new passwords against
 * a list of breached ones). Bundled, never fetched: the most common passwords of the big public
 * leaks (rockyou, the 2011 CSDN and 2015 NetEase leaks for Chinese users) that pass our length and
 * mix rules, plus the patterns they are built from: a common word or keyboard walk with digits and
 * symbols around it, leet spellings (P@ssw0rd), repeats, and the product's own names.
 */
const COMMON = `
password password1 password12 password123 password1234 password12345 passw0rd p@ssw0rd p@ssword
qwerty qwerty1 qwerty12 qwerty123 qwerty1234 qwerty12345 qwertyuiop qwertyuiop1 1q2w3e4r5t 1q2w3e4r5t6y
1qaz2wsx 1qaz2wsx3edc 1qaz@wsx qazwsx qazwsxedc qazwsx123 zaq12wsx zaq1xsw2 zxcvbnm zxcvbnm123 asdfghjkl asdfgh asdf1234
123456789a a123456789 aa123456789 abc123456 abc1234567 abcd123456 abcd1234 a1b2c3d4e5 a1234567890 1234567890a
iloveyou iloveyou1 iloveyou123 woaini woaini1314 woaini520 woaini5201314 5201314 woaiwojia iloveu1314
admin admin123 admin1234 admin12345 administrator root123456 welcome welcome1 welcome123 letmein letmein123
monkey dragon dragon123 football baseball superman batman sunshine princess shadow master master123 trustno1
changeme changeme123 test1234 test123456 guest123 default123 login123 secret123 hello123 hello12345
qq123456 qq1234567 qq5201314 wang123456 zhang123456 li123456 liu123456 chen123456 yang123456 huang123456
woshishui nihao123 nihao123456 aini1314 caonima 1314520 5201314520 147258369 159357 159753 7758521 7758258
meiyan meiyan123 meiyan2026 hospital hospital123 clinic123 doctor123 director123 nurse123 beauty123
`.trim().split(/\s+/);

/** Words that, with digits and symbols around them, make most breached passwords of this length. */
const BASE_WORDS = new Set([
  'password', 'passwd', 'pass', 'qwerty', 'qwertyuiop', 'admin', 'administrator', 'root', 'welcome', 'letmein', 'iloveyou', 'woaini',
  'monkey', 'dragon', 'football', 'baseball', 'superman', 'batman', 'sunshine', 'princess', 'shadow', 'master', 'changeme', 'test',
  'guest', 'default', 'login', 'secret', 'hello', 'nihao', 'abc', 'abcd', 'abcde', 'abcdef', 'qazwsx', 'qazwsxedc', 'zxcvbnm', 'asdfgh',
  'asdfghjkl', 'aaa', 'aa', 'a', 'qq', 'meiyan', 'hospital', 'clinic', 'doctor', 'director', 'nurse', 'beauty', 'user', 'staff',
]);

/** Keyboard and alphabet runs (either direction); a password that is one piece of a run is refused. */
const RUNS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'abcdefghijklmnopqrstuvwxyz', '1qaz2wsx3edc4rfv5tgb', 'zaq12wsxcde34rfv'];

const LEET: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '!': 'i', '3': 'e', '$': 's', '5': 's', '7': 't' };

const commonSet = new Set(COMMON);

function isRunPiece(s: string): boolean {
  return s.length >= 6 && RUNS.some((run) => run.includes(s) || [...run].reverse().join('').includes(s));
}

/**
 * Why a password is refused as common or built on a breached pattern, or null when it is not.
 * Compared without case; the middle of a password (digits and symbols stripped from both ends,
 * leet undone) must not be a common word, and the whole must not be a run or a repeat.
 */
export function commonPasswordReason(password: string): string | null {
  const lower = password.normalize('NFKC').toLowerCase();
  if (commonSet.has(lower)) return 'is one of the most common passwords';
  const alnum = lower.replace(/[^\p{L}\p{N}]/gu, '');
  if (commonSet.has(alnum)) return 'is one of the most common passwords';
  if (/^(.{1,4})\1+$/u.test(alnum) || new Set(alnum).size <= 3) return 'is a repeat of a few characters';
  if (isRunPiece(alnum)) return 'is a keyboard or alphabet run';
  // Letters in the middle, digits and symbols around: "Password2024!", "!!Admin123".
  const middle = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const unleet = (s: string) => [...s].map((c) => LEET[c] ?? c).join('');
  for (const candidate of [middle, unleet(middle), unleet(lower).replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '')]) {
    const word = candidate.replace(/[^\p{L}]/gu, '');
    if (word === candidate && BASE_WORDS.has(word)) return 'is a common word with digits or symbols around it';
    if (commonSet.has(candidate)) return 'is one of the most common passwords';
  }
  // A run with digits or symbols around it: "Qwerty@2024", "1qaz2wsx!@#".
  const core = unleet(middle).replace(/[^\p{L}\p{N}]/gu, '');
  if (isRunPiece(core) || isRunPiece(alnum.replace(/\d+$/, ''))) return 'is a keyboard or alphabet run with digits or symbols around it';
  return null;
}
