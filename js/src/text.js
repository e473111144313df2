// Python's str.strip() in JavaScript: its whitespace is not String.prototype.trim's
// (Python strips U+001C-U+001F and U+0085, keeps U+FEFF).
const SPACE = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGES = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');

export const pythonStrip = (text) => text.replace(EDGES, '');

/** Strings in code point order, as Python's sorted() (JavaScript's sort() compares UTF-16 units). */
export function byCodePoint(a, b) {
  const left = Array.from(a, (char) => char.codePointAt(0));
  const right = Array.from(b, (char) => char.codePointAt(0));
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return left.length - right.length;
}
