// src/errors.js
var StableportError = class _StableportError extends Error {
  get name() {
    return this.constructor.name;
  }
  // The kind the corpus names: a ConfigError reports its cause's (tests/vectors/reference.py).
  get kind() {
    return this instanceof ConfigError && this.cause instanceof _StableportError ? this.cause.name : this.name;
  }
};
var InvalidNameError = class extends StableportError {
};
var InvalidTypeError = class extends StableportError {
};
var PortRangeError = class extends StableportError {
};
var RangeExhaustedError = class extends PortRangeError {
};
var PinConflictError = class extends StableportError {
};
var UnknownServiceError = class extends StableportError {
};
var AlgorithmVersionError = class extends StableportError {
};
var HashFunctionError = class extends StableportError {
};
var InstanceError = class extends StableportError {
};
var ConfigError = class extends StableportError {
};
var EXCERPT_LENGTH = 60;
var PATH_LENGTH = 240;
var UNPRINTABLE = /[\p{C}\p{Z}]/u;
function escape(char) {
  const code = char.codePointAt(0);
  const named = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "	": "\\t" }[char];
  if (named) return named;
  if (char === " " || !UNPRINTABLE.test(char)) return char;
  if (code < 256) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 65536) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}
function pyrepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = "";
  for (const char of text) body += char === quote ? `\\${char}` : escape(char);
  return `${quote}${body}${quote}`;
}
function excerpt(value) {
  if (typeof value === "string") {
    const chars = Array.from(value);
    if (chars.length <= EXCERPT_LENGTH) return pyrepr(value);
    const head = Math.floor((EXCERPT_LENGTH - 3) / 2);
    const tail = EXCERPT_LENGTH - 3 - head;
    const quoted = pyrepr(chars.slice(0, head).join("") + chars.slice(-tail).join(""));
    const inner = Array.from(quoted);
    return inner.slice(0, head).join("") + "..." + inner.slice(-tail).join("");
  }
  if (typeof value === "bigint" || typeof value === "number") {
    const text2 = String(value);
    return text2.length > 40 ? `<an integer of about ${text2.length} digits>` : text2;
  }
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null || value === void 0) return "None";
  if (value.constructor?.name === "TomlFloat") return String(value);
  let text;
  try {
    text = JSON.stringify(value, (_, item) => typeof item === "bigint" ? Number(item) : item);
  } catch {
    text = String(value);
  }
  text = text ?? String(value);
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 3)}...` : text;
}
function shown(path, { quoted = false } = {}) {
  const chars = Array.from(path);
  const printable = !/[\p{C}\p{Z}]/u.test(path.replaceAll(" ", ""));
  if (printable && chars.length <= PATH_LENGTH && !quoted) return path;
  if (chars.length <= PATH_LENGTH) return pyrepr(path);
  const half = PATH_LENGTH / 2;
  return `${pyrepr(chars.slice(0, half).join(""))}...${pyrepr(chars.slice(-half).join(""))}`;
}

// src/files.js
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

// node_modules/smol-toml/dist/error.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function getLineColFromPtr(string, ptr) {
  let lines = string.slice(0, ptr).split(/\r?\n/);
  return [lines.length, lines.pop().length + 1];
}
function makeCodeBlock(string, line, column) {
  let lines = string.split(/\r?\n/);
  let codeblock = "";
  let numberLen = (Math.log10(line + 1) | 0) + 1;
  for (let i = line - 1; i <= line + 1; i++) {
    let l = lines[i - 1];
    if (!l)
      continue;
    codeblock += i.toString().padEnd(numberLen, " ");
    codeblock += ":  ";
    codeblock += l;
    codeblock += "\n";
    if (i === line) {
      codeblock += " ".repeat(numberLen + column + 2);
      codeblock += "^\n";
    }
  }
  return codeblock;
}
var TomlError = class _TomlError extends Error {
  line;
  column;
  codeblock;
  constructor(message, options) {
    const [line, column] = getLineColFromPtr(options.toml, options.ptr);
    const codeblock = makeCodeBlock(options.toml, line, column);
    super(`Invalid TOML document: ${message}

${codeblock}`, options);
    this.line = line;
    this.column = column;
    this.codeblock = codeblock;
  }
  /** @internal */
  static x(message, ctx, ptr) {
    throw new _TomlError(message, { toml: ctx.s, ptr: ptr ?? ctx.p });
  }
};

// node_modules/smol-toml/dist/primitive.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function parseString(ctx) {
  let startPtr = ctx.p;
  let c = ctx.s.charCodeAt(ctx.p++);
  let first = c;
  let isLiteral = c === 39;
  let isMultiline = c === ctx.s.charCodeAt(ctx.p) && c === ctx.s.charCodeAt(ctx.p + 1);
  if (isMultiline) {
    if ((c = ctx.s.charCodeAt(ctx.p += 2)) === 10)
      ctx.p++;
    else if (c === 13 && ctx.s.charCodeAt(ctx.p + 1) === 10)
      ctx.p += 2;
  }
  let parsed = "";
  let sliceStart = ctx.p;
  let state = 0;
  for (; ctx.p < ctx.s.length; ctx.p++) {
    c = ctx.s.charCodeAt(ctx.p);
    if (isMultiline && (c === 10 || c === 13 && ctx.s.charCodeAt(ctx.p + 1) === 10)) {
      state = state && 3;
    } else if (c < 32 && c !== 9 || c === 127) {
      TomlError.x("control characters are not allowed in strings", ctx);
    } else if ((!state || state === 3) && c === first && (!isMultiline || ctx.s.charCodeAt(ctx.p + 1) === first && ctx.s.charCodeAt(ctx.p + 2) === first)) {
      if (isMultiline) {
        if (ctx.s.charCodeAt(ctx.p + 3) === first)
          ctx.p++;
        if (ctx.s.charCodeAt(ctx.p + 3) === first)
          ctx.p++;
      }
      if (!state) {
        let s = ctx.s.slice(sliceStart, ctx.p);
        parsed = parsed ? parsed + s : s;
      }
      ctx.p += isMultiline ? 3 : 1;
      return parsed;
    } else if (!state) {
      if (!isLiteral && c === 92) {
        parsed += ctx.s.slice(sliceStart, sliceStart = ctx.p);
        state = 1;
      }
    } else if (state === 1) {
      if (c === 120 || c === 117 || c === 85) {
        let errPtr = ctx.p++ - 1;
        let value = 0;
        let len = c === 120 ? 2 : c === 117 ? 4 : 8;
        for (let j = 0; j < len; j++, ctx.p++) {
          let hex = ctx.s.charCodeAt(ctx.p);
          let digit = (
            /* 0-9 */
            hex >= 48 && hex <= 57 ? hex - 48 : (
              /* A-F */
              hex >= 65 && hex <= 70 ? hex - 65 + 10 : (
                /* a-f */
                hex >= 97 && hex <= 102 ? hex - 97 + 10 : -1
              )
            )
          );
          if (digit < 0)
            TomlError.x("invalid non-hex character in unicode escape", ctx);
          value = value << 4 | digit;
        }
        if (value < 0 || value > 1114111 || value >= 55296 && value <= 57343) {
          TomlError.x("invalid unicode escape", ctx, errPtr);
        }
        parsed += String.fromCodePoint(value);
        sliceStart = ctx.p--;
        state = 0;
      } else if (isMultiline && (c === 32 || c === 9)) {
        state = 2;
      } else {
        if (c === 98)
          parsed += "\b";
        else if (c === 116)
          parsed += "	";
        else if (c === 110)
          parsed += "\n";
        else if (c === 102)
          parsed += "\f";
        else if (c === 114)
          parsed += "\r";
        else if (c === 101)
          parsed += "\x1B";
        else if (c === 34)
          parsed += '"';
        else if (c === 92)
          parsed += "\\";
        else
          TomlError.x("unrecognised escape sequence", ctx);
        sliceStart = ctx.p + 1;
        state = 0;
      }
    } else if (c !== 32 && c !== 9) {
      if (state === 2)
        TomlError.x("invalid escape: only line-ending whitespace may be escaped", ctx, sliceStart);
      state = !isLiteral && c === 92 ? 1 : 0;
      sliceStart = ctx.p;
    }
  }
  TomlError.x("unfinished string", ctx, startPtr);
}

// node_modules/smol-toml/dist/date.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
var DATE_TIME_RE = /^(\d{4}-\d{2}-\d{2})?[Tt ]?(?:(\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|z|[-+]\d{2}:\d{2})?$/i;
var TomlDate = class _TomlDate extends Date {
  #hasDate = false;
  #hasTime = false;
  #offset = null;
  constructor(date, fasttype, unsafeDelim) {
    let hasDate = true;
    let hasTime = true;
    let offset = "Z";
    let c;
    if (typeof date === "string") {
      if (fasttype)
        prep: {
          if (fasttype < 3) {
            if (+date.slice(11, 13) > 23) {
              date = "";
              break prep;
            }
            if (fasttype === 2) {
              offset = null;
              date += "Z";
            } else if ((c = date.charCodeAt(date.length - 1)) !== 90 && c !== 122) {
              offset = date.slice(date.length - 6);
            }
            if (unsafeDelim)
              date = date.slice(0, 10) + "T" + date.slice(11);
          } else if (fasttype === 4) {
            date = +date.slice(0, 2) > 23 ? "" : `0000-01-01T${date}Z`;
          }
          hasDate = fasttype !== 4;
          hasTime = fasttype !== 3;
        }
      else {
        let match2 = date.match(DATE_TIME_RE);
        if (match2) {
          if (!match2[1]) {
            hasDate = false;
            date = `0000-01-01T${date}`;
          }
          hasTime = !!match2[2];
          hasTime && date[10] === " " && (date = date.replace(" ", "T"));
          if (match2[2] && +match2[2] > 23) {
            date = "";
          } else {
            offset = match2[3] || null;
            if (!offset && hasTime)
              date += "Z";
          }
        } else {
          date = "";
        }
      }
    }
    super(date);
    if (!isNaN(this.getTime())) {
      this.#hasDate = hasDate;
      this.#hasTime = hasTime;
      this.#offset = offset;
    }
  }
  isDateTime() {
    return this.#hasDate && this.#hasTime;
  }
  isLocal() {
    return !this.#hasDate || !this.#hasTime || !this.#offset;
  }
  isDate() {
    return this.#hasDate && !this.#hasTime;
  }
  isTime() {
    return this.#hasTime && !this.#hasDate;
  }
  isValid() {
    return this.#hasDate || this.#hasTime;
  }
  toISOString() {
    let iso = super.toISOString();
    if (this.isDate())
      return iso.slice(0, 10);
    if (this.isTime())
      return iso.slice(11, 23);
    if (this.#offset === null)
      return iso.slice(0, -1);
    if (this.#offset === "Z" || this.#offset === "z")
      return iso;
    let offset = +this.#offset.slice(1, 3) * 60 + +this.#offset.slice(4, 6);
    offset = this.#offset[0] === "-" ? offset : -offset;
    let offsetDate = new Date(this.getTime() - offset * 6e4);
    return offsetDate.toISOString().slice(0, -1) + this.#offset;
  }
  static wrapAsOffsetDateTime(jsDate, offset = "Z") {
    let date = new _TomlDate(jsDate);
    date.#offset = offset;
    return date;
  }
  static wrapAsLocalDateTime(jsDate) {
    let date = new _TomlDate(jsDate);
    date.#offset = null;
    return date;
  }
  static wrapAsLocalDate(jsDate) {
    let date = new _TomlDate(jsDate);
    date.#hasTime = false;
    date.#offset = null;
    return date;
  }
  static wrapAsLocalTime(jsDate) {
    let date = new _TomlDate(jsDate);
    date.#hasDate = false;
    date.#offset = null;
    return date;
  }
};

// node_modules/smol-toml/dist/extract.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function isDigit(char, base = 10) {
  return base === 16 ? char > 47 && char < 58 || char > 64 && char < 71 || char > 96 && char < 103 : char > 47 && char < 48 + base;
}
function isEndOfValue(char, delim) {
  return char === 32 || char === 9 || char === 10 || char === 13 || // Structure end or next value delimiter
  delim && (char === delim || char === 44) || // Comment
  char === 35;
}
function extractValue(ctx, end) {
  let errPtr = ctx.p;
  let c = ctx.s.charCodeAt(ctx.p);
  if (c === 91 || c === 123) {
    ctx.d-- || TomlError.x("document contains excessively nested structures. aborting.", ctx);
    let value = c === 91 ? parseArray(ctx) : parseInlineTable(ctx);
    ctx.d++;
    return value;
  }
  if (c === 34 || c === 39) {
    return parseString(ctx);
  }
  if (c === 116) {
    if (ctx.s.charCodeAt(++ctx.p) !== 114 || ctx.s.charCodeAt(++ctx.p) !== 117 || ctx.s.charCodeAt(++ctx.p) !== 101)
      TomlError.x("invalid value", ctx, errPtr);
    return ctx.p++, true;
  }
  if (c === 102) {
    if (ctx.s.charCodeAt(++ctx.p) !== 97 || ctx.s.charCodeAt(++ctx.p) !== 108 || ctx.s.charCodeAt(++ctx.p) !== 115 || ctx.s.charCodeAt(++ctx.p) !== 101)
      TomlError.x("invalid value", ctx, errPtr);
    return ctx.p++, false;
  }
  if (c === 43 || c === 45) {
    return parseNumber(ctx, ctx.p, ctx.s.charCodeAt(++ctx.p), 44 - c, end);
  }
  if (ctx.s.charCodeAt(ctx.p + 4) === 45 && ctx.s.charCodeAt(ctx.p + 7) === 45) {
    return parseDate(ctx, c, end);
  }
  if (ctx.s.charCodeAt(ctx.p + 2) === 58) {
    return parseTime(ctx, c, end);
  }
  return parseNumber(ctx, ctx.p, c, 0, end);
}
function parseNumber(ctx, startPtr, startChr, sign, endChr) {
  let c = startChr;
  let state = 0;
  let hasUnderscores = false;
  if (c === 105) {
    if (ctx.s.charCodeAt(++ctx.p) !== 110 || ctx.s.charCodeAt(++ctx.p) !== 102)
      TomlError.x("invalid value", ctx, startPtr);
    return ctx.p++, (sign || 1) / 0;
  }
  if (c === 110) {
    if (ctx.s.charCodeAt(++ctx.p) !== 97 || ctx.s.charCodeAt(++ctx.p) !== 110)
      TomlError.x("invalid value", ctx, startPtr);
    return ctx.p++, NaN;
  }
  if (c === 48) {
    if (++ctx.p >= ctx.s.length || isEndOfValue(c = ctx.s.charCodeAt(ctx.p), endChr))
      return ctx.bi === true ? 0n : 0;
    if (!sign) {
      if (c === 120)
        return parseIntegerBaseN(ctx, startPtr, 16, endChr);
      else if (c === 98)
        return parseIntegerBaseN(ctx, startPtr, 2, endChr);
      else if (c === 111)
        return parseIntegerBaseN(ctx, startPtr, 8, endChr);
    }
    if (c === 46)
      state = 2;
    else if (c === 101 || c === 69)
      state = 4;
    else
      TomlError.x("illegal leading zero", ctx, startPtr);
  } else if (!isDigit(c))
    TomlError.x("invalid value", ctx, startPtr);
  while (++ctx.p < ctx.s.length && (c = ctx.s.charCodeAt(ctx.p), !isEndOfValue(c, endChr))) {
    if (!state)
      state = 1;
    if (c === 95) {
      if (!(state & 1))
        TomlError.x("illegal underscore", ctx);
      state += 11;
      hasUnderscores = true;
    } else if (state === 1 && c === 46)
      state = 2;
    else if ((state === 1 || state === 3) && (c === 101 || c === 69))
      state = 4;
    else if (state === 4 && (c === 43 || c === 45)) {
      state = 6;
    } else if (!isDigit(c))
      TomlError.x(`illegal character in numeric literal`, ctx);
    else if (state > 9)
      state -= 11;
    else if (!(state & 1))
      state++;
  }
  if (!state) {
    let val = (startChr - 48) * (sign || 1);
    return ctx.bi === true ? BigInt(val) : val;
  }
  if (!(state & 1))
    TomlError.x("unfinished numeric value", ctx, startPtr);
  let str = ctx.s.slice(startPtr, ctx.p);
  if (hasUnderscores)
    str = str.replaceAll("_", "");
  return state > 1 ? parseFloat(str) : parseInteger(ctx, str, 10, startPtr);
}
function parseIntegerBaseN(ctx, startPtr, base, endChr) {
  let c, underscore = 1;
  while (++ctx.p < ctx.s.length && (c = ctx.s.charCodeAt(ctx.p), !isEndOfValue(c, endChr))) {
    if (c === 95) {
      if (underscore & 1)
        TomlError.x("illegal underscore", ctx);
      underscore = 3;
    } else if (!isDigit(c, base))
      TomlError.x(`illegal character in numeric literal`, ctx);
    else if (underscore & 1)
      underscore--;
  }
  if (underscore & 1)
    TomlError.x("unfinished numeric value", ctx);
  let str = ctx.s.slice(startPtr + 2, ctx.p);
  if (underscore)
    str = str.replaceAll("_", "");
  return parseInteger(ctx, str, base, startPtr);
}
function parseInteger(ctx, str, base, startPtr) {
  if (ctx.bi !== true)
    int: {
      let val = parseInt(str, base);
      if (!Number.isSafeInteger(val)) {
        if (ctx.bi)
          break int;
        TomlError.x("integer value cannot be represented losslessly", ctx, startPtr);
      }
      return val;
    }
  return base === 10 ? BigInt(str) : BigInt((base === 2 ? "0b" : base === 8 ? "0o" : "0x") + str);
}
function parseDate(ctx, c, endChr) {
  let startPtr = ctx.p++, unsafeSeparator;
  if (!isDigit(c) || !isDigit(ctx.s.charCodeAt(ctx.p++)) || !isDigit(ctx.s.charCodeAt(ctx.p++)) || !isDigit(ctx.s.charCodeAt(ctx.p++))) {
    return parseNumber(ctx, ctx.p = startPtr, c, 0, endChr);
  }
  ctx.p += 5;
  if (!isDigit(ctx.s.charCodeAt(ctx.p++)))
    TomlError.x("invalid date-time: date part is malformed", ctx, startPtr);
  if (ctx.p >= ctx.s.length || ((c = ctx.s.charCodeAt(ctx.p)) !== 32 || (unsafeSeparator = true, !isDigit(ctx.s.charCodeAt(ctx.p + 1)))) && c !== 84 && c !== 116) {
    let t2 = ctx.s.slice(startPtr, ctx.p);
    return readDate(ctx, t2, 3, false, startPtr);
  }
  if (ctx.s.charCodeAt(ctx.p += 3) !== 58)
    TomlError.x("invalid date-time: time part is malformed", ctx, startPtr);
  if (ctx.s.charCodeAt(ctx.p += 3) === 58)
    ctx.p += 3;
  if (ctx.s.charCodeAt(ctx.p) === 46)
    while (isDigit(ctx.s.charCodeAt(++ctx.p)))
      ;
  if (c = ctx.s.charCodeAt(ctx.p)) {
    if (c === 90 || c === 122) {
      let t2 = ctx.s.slice(startPtr, ++ctx.p);
      return readDate(ctx, t2, 1, unsafeSeparator, startPtr, "[+00:00]");
    }
    if (c === 43 || c === 45) {
      let t2 = ctx.s.slice(startPtr, ctx.p += 6);
      return readDate(ctx, t2, 1, unsafeSeparator, startPtr, !ctx.ld && "[" + ctx.s.slice(ctx.p - 6, ctx.p) + "]");
    }
  }
  let t = ctx.s.slice(startPtr, ctx.p);
  return readDate(ctx, t, 2, unsafeSeparator, startPtr);
}
function parseTime(ctx, c, endChr) {
  let start = ctx.p;
  if (!isDigit(c) || !isDigit(ctx.s.charCodeAt(++ctx.p))) {
    return parseNumber(ctx, --ctx.p, c, 0, endChr);
  }
  if (ctx.s.charCodeAt(ctx.p += 4) === 58)
    ctx.p += 3;
  if (ctx.s.charCodeAt(ctx.p) === 46)
    while (isDigit(ctx.s.charCodeAt(++ctx.p)))
      ;
  let t = ctx.s.slice(start, ctx.p);
  return readDate(ctx, t, 4, false, start);
}
function readDate(ctx, str, type, unsafeDelim, errPtr, temporalSuffix) {
  if (ctx.ld) {
    let date = new TomlDate(str, type, unsafeDelim);
    if (!date.isValid())
      TomlError.x("invalid date", ctx, errPtr);
    return date;
  }
  try {
    if (temporalSuffix)
      str += temporalSuffix;
    switch (type) {
      case 1:
        return Temporal.ZonedDateTime.from(str);
      case 2:
        return Temporal.PlainDateTime.from(str);
      case 3:
        return Temporal.PlainDate.from(str);
      case 4:
        return Temporal.PlainTime.from(str);
    }
  } catch (e) {
    TomlError.x(e instanceof Error ? e.message : "" + e, ctx, errPtr);
  }
}

// node_modules/smol-toml/dist/util.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function skipComment(ctx) {
  for (; ctx.p < ctx.s.length; ctx.p++) {
    let c = ctx.s.charCodeAt(ctx.p);
    if (c === 10)
      break;
    if (c === 13 && ctx.s.charCodeAt(ctx.p + 1) === 10) {
      ctx.p++;
      break;
    }
    if (c < 32 && c !== 9 || c === 127) {
      TomlError.x("control characters are not allowed in comments", ctx);
    }
  }
}
function skipVoid(ctx, banNewLines, banComments) {
  let c;
  while (ctx.p < ctx.s.length) {
    while (ctx.p < ctx.s.length && ((c = ctx.s.charCodeAt(ctx.p)) === 32 || c === 9 || !banNewLines && (c === 10 || c === 13 && ctx.s.charCodeAt(ctx.p + 1) === 10)))
      ctx.p++;
    if (banComments || c !== 35)
      break;
    skipComment(ctx);
  }
}

// node_modules/smol-toml/dist/struct.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function parseKey(ctx, end = 61) {
  let startPtr;
  let state = 0;
  let parsed = [];
  let sliceStart;
  let c = ctx.s.charCodeAt(startPtr = ctx.p);
  do {
    if (c === end) {
      if (!state)
        TomlError.x("unexpected end of key", ctx);
      if (state === 1)
        parsed.push(ctx.s.slice(sliceStart, ctx.p));
      return ctx.p++, parsed;
    } else if (c === 46) {
      if (!state)
        TomlError.x("illegal empty bare key", ctx);
      if (state === 1)
        parsed.push(ctx.s.slice(sliceStart, ctx.p));
      state = 0;
    } else if (!state && (c === 34 || c === 39)) {
      if (c === ctx.s.charCodeAt(ctx.p + 1) && c === ctx.s.charCodeAt(ctx.p + 2))
        TomlError.x("illegal quoted key: multiline strings are not allowed", ctx);
      parsed.push(parseString(ctx));
      state = 2;
      ctx.p--;
    } else if (c === 32 || c === 9) {
      if (state === 1) {
        parsed.push(ctx.s.slice(sliceStart, ctx.p));
        state = 2;
      }
    } else if (state === 2 || c < 48 && c !== 45 || c > 57 && c < 65 || c > 90 && c < 97 && c !== 95 || c > 122) {
      TomlError.x("illegal character in key", ctx);
    } else if (!state) {
      state = 1;
      sliceStart = ctx.p;
    }
  } while (c = ctx.s.charCodeAt(++ctx.p));
  TomlError.x("incomplete key-value: cannot find end of key", ctx, startPtr);
}
function parseInlineTable(ctx) {
  let startPtr = ctx.p++;
  let res = /* @__PURE__ */ Object.create(null);
  let seen = /* @__PURE__ */ new Set();
  let c;
  while (ctx.p < ctx.s.length) {
    skipVoid(ctx);
    if ((c = ctx.s.charCodeAt(ctx.p)) === 125) {
      ctx.p++;
      return res;
    }
    let k;
    let t = res;
    let hasOwn = false;
    let errPtr = ctx.p;
    let key = parseKey(ctx);
    for (let i = 0; i < key.length; i++) {
      if (i)
        t = hasOwn ? t[k] : t[k] = /* @__PURE__ */ Object.create(null);
      k = key[i];
      if ((hasOwn = Object.hasOwn(t, k)) && (typeof t[k] !== "object" || seen.has(t[k]))) {
        TomlError.x("trying to redefine an already defined value", ctx, errPtr);
      }
      let unsafe = k === "__proto__";
      if (ctx.uk && (unsafe || k === "constructor")) {
        t = ctx.uk !== 1 && TomlError.x("document contains an unsafe property", ctx, errPtr);
        break;
      }
      if (!hasOwn && unsafe) {
        Object.defineProperty(t, k, { enumerable: true, configurable: true, writable: true });
      }
    }
    if (hasOwn) {
      TomlError.x("trying to redefine an already defined value", ctx, errPtr);
    }
    skipVoid(ctx, true, true);
    let value = extractValue(
      ctx,
      125
      /* } */
    );
    if (t && typeof (t[k] = value) === "object")
      seen.add(value);
    skipVoid(ctx);
    if ((c = ctx.s.charCodeAt(ctx.p++)) === 125) {
      return res;
    }
    if (c !== 44)
      TomlError.x("expected comma or end of structure", ctx, ctx.p - 1);
  }
  TomlError.x("unfinished table", ctx, startPtr);
}
function parseArray(ctx) {
  let startPtr = ctx.p++;
  let res = [];
  let c;
  while (ctx.p < ctx.s.length) {
    skipVoid(ctx);
    if ((c = ctx.s.charCodeAt(ctx.p)) === 93) {
      ctx.p++;
      return res;
    }
    res.push(extractValue(
      ctx,
      93
      /* ] */
    ));
    skipVoid(ctx);
    if ((c = ctx.s.charCodeAt(ctx.p++)) === 93) {
      return res;
    }
    if (c !== 44)
      TomlError.x("expected comma or end of structure", ctx, ctx.p - 1);
  }
  TomlError.x("unfinished array", ctx, startPtr);
}

// node_modules/smol-toml/dist/parse.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function peekTable(ctx, key, table, meta, type) {
  let t = table;
  let m = meta;
  let k;
  let hasOwn = false;
  let state;
  for (let i = 0; i < key.length; i++) {
    if (i) {
      t = hasOwn ? t[k] : t[k] = /* @__PURE__ */ Object.create(null);
      m = (state = m[k]).c;
      if (type === 0 && (state.t === 1 || state.t === 2)) {
        return null;
      }
      if (state.t === 2) {
        let l = t.length - 1;
        t = t[l];
        m = m[l].c;
      }
    }
    k = key[i];
    if ((hasOwn = Object.hasOwn(t, k)) && m[k]?.t === 0 && m[k]?.d) {
      return null;
    }
    if (!hasOwn) {
      let unsafe = k === "__proto__";
      if (ctx.uk && (unsafe || k === "constructor"))
        return false;
      if (unsafe) {
        Object.defineProperty(t, k, { enumerable: true, configurable: true, writable: true });
        Object.defineProperty(m, k, { enumerable: true, configurable: true, writable: true });
      }
      m[k] = {
        t: i < key.length - 1 && type === 2 ? 3 : type,
        d: false,
        i: 0,
        c: /* @__PURE__ */ Object.create(null)
      };
    }
  }
  state = m[k];
  if (state.t !== type && !(type === 1 && state.t === 3)) {
    return null;
  }
  if (type === 2) {
    if (!state.d) {
      state.d = true;
      t[k] = [];
    }
    t[k].push(t = /* @__PURE__ */ Object.create(null));
    state.c[state.i++] = state = { t: 1, d: false, i: 0, c: /* @__PURE__ */ Object.create(null) };
  }
  if (state.d) {
    return null;
  }
  state.d = true;
  if (type === 1) {
    t = hasOwn ? t[k] : t[k] = /* @__PURE__ */ Object.create(null);
  } else if (type === 0 && hasOwn) {
    return null;
  }
  return [k, t, state.c];
}
function validateTablePeek(ctx, peek, ptr) {
  if (peek === null || ctx.uk === 2)
    TomlError.x(peek === null ? "trying to redefine an already defined table or value" : "document contains an unsafe property", ctx, ptr);
}
function parse(toml, options = {}) {
  let ctx = {
    s: toml,
    p: 0,
    d: options.maxDepth ?? 1e3,
    bi: options.integersAsBigInt ?? false,
    ld: options.useLegacyDate ?? true,
    uk: options.unsafeKeyBehaviour === "throw" ? 2 : options.unsafeKeyBehaviour === "drop" ? 1 : 0
  };
  let res = /* @__PURE__ */ Object.create(null);
  let meta = /* @__PURE__ */ Object.create(null);
  let tmp;
  let skipping = false;
  let tbl = res;
  let m = meta;
  if (toml.charCodeAt(0) === 65279)
    ctx.p++;
  skipVoid(ctx);
  while (ctx.p < toml.length) {
    if (toml.charCodeAt(ctx.p) === 91) {
      let isTableArray = toml.charCodeAt(++ctx.p) === 91;
      tmp = ctx.p += +isTableArray;
      skipping = false;
      let k = parseKey(
        ctx,
        93
        /* ] */
      );
      if (isTableArray) {
        if (toml.charCodeAt(ctx.p) !== 93) {
          TomlError.x("expected end of table array declaration", ctx);
        }
        ctx.p++;
      }
      let p = peekTable(
        ctx,
        k,
        res,
        meta,
        isTableArray ? 2 : 1
        /* Type.EXPLICIT */
      );
      if (!p) {
        validateTablePeek(ctx, p, tmp);
        skipping = true;
      } else {
        m = p[2];
        tbl = p[1];
      }
    } else {
      tmp = ctx.p;
      let k = parseKey(ctx);
      let p = peekTable(
        ctx,
        k,
        tbl,
        m,
        0
        /* Type.DOTTED */
      );
      if (!p && !skipping)
        validateTablePeek(ctx, p, tmp);
      skipVoid(ctx, true, true);
      let v = extractValue(ctx, void 0);
      if (p && !skipping)
        p[1][p[0]] = v;
    }
    skipVoid(ctx, true);
    if (ctx.p < toml.length && (tmp = toml.charCodeAt(ctx.p)) !== 10 && (tmp !== 13 || toml.charCodeAt(ctx.p + 1) !== 10)) {
      TomlError.x("each key-value declaration must be followed by an end-of-line", ctx);
    }
    skipVoid(ctx);
  }
  return res;
}

// node_modules/smol-toml/dist/stringify.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
var HAS_WELLFORMED = !!"".isWellFormed;

// node_modules/smol-toml/dist/index.js
/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */

// src/files.js
var CONFIG_VARIABLE = "STABLEPORT_CONFIG";
var STANDALONE_NAME = "stableport.toml";
var PYPROJECT_NAME = "pyproject.toml";
var MAX_CONFIG_BYTES = 4 * 1024 * 1024;
var MAX_NESTING = 100;
var kilo = (n) => n.toLocaleString("en-US");
function discover(start) {
  let directory = resolve(start);
  for (; ; ) {
    const standalone = join(directory, STANDALONE_NAME);
    if (candidateExists(standalone)) return [standalone, null];
    const pyproject = join(directory, PYPROJECT_NAME);
    if (candidateExists(pyproject)) {
      const document = stableportDocument(pyproject);
      if (document !== null) return [pyproject, document];
    }
    const parent = dirname(directory);
    if (parent === directory) return [null, null];
    directory = parent;
  }
}
function candidateExists(path) {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return false;
    const passedOver = `; a configuration there would be passed over, so none is used: name one with --config or ${CONFIG_VARIABLE}`;
    throw new ConfigError(cannot("look for", path, error, passedOver));
  }
}
function cannot(doing, path, error, advice = "") {
  const where = `cannot ${doing} ${shown(path, { quoted: true })}`;
  if (!error.code || error.code === "ERR_INVALID_ARG_VALUE" || error.code === "ERR_INVALID_ARG_TYPE") {
    return `${where}: not a valid path (${error.message})`;
  }
  return `${where}: ${strerror(error)}${advice}`;
}
var STRERROR = {
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EIO: "Input/output error",
  EPERM: "Operation not permitted",
  ENXIO: "No such device or address"
};
var strerror = (error) => STRERROR[error.code] ?? error.code ?? error.message;
function workingDirectory() {
  try {
    return process.cwd();
  } catch (error) {
    throw new ConfigError(
      `cannot look for a configuration from the working directory: ${strerror(error)} (was it deleted?); change to an existing directory or name a file with ${CONFIG_VARIABLE}`
    );
  }
}
function pathArgument(path) {
  if (typeof path === "string") return path;
  if (path instanceof URL) return path.protocol === "file:" ? decodeURIComponent(path.pathname) : String(path);
  if (Buffer.isBuffer(path)) return path.toString();
  throw new InvalidTypeError(`the configuration path must be a str, bytes or os.PathLike, not ${typeof path}: ${excerpt(path)}`);
}
function lexists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
function namedByVariable(value, cwd = null) {
  const path = cwd === null || !value ? value : resolve(cwd, value);
  if (!value || !lexists(path)) {
    throw new ConfigError(
      `${CONFIG_VARIABLE}=${excerpt(value)} names no file; point it at a stableport.toml or a pyproject.toml with a [tool.stableport] table, or unset it`
    );
  }
  return path;
}
function mayHoldTable(data) {
  return ["stableport", "\\u", "\\U", "\\x"].some((needle) => data.includes(needle));
}
function stableportDocument(pyproject) {
  const data = readBytes(pyproject);
  if (!mayHoldTable(data)) return null;
  const document = parse2(pyproject, data);
  const tool = document.tool;
  return isTable(tool) && Object.hasOwn(tool, "stableport") ? document : null;
}
var isTable = (value) => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof TomlFloat);
var TomlFloat = class {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return Number.isInteger(this.value) ? `${this.value}.0` : String(this.value);
  }
};
function floatsWrapped(value) {
  if (typeof value === "number") return new TomlFloat(value);
  if (Array.isArray(value)) return value.map(floatsWrapped);
  if (isTable(value)) {
    for (const key of Object.keys(value)) value[key] = floatsWrapped(value[key]);
  }
  return value;
}
var decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function parse2(path, data = readBytes(path)) {
  if (data[0] === 239 && data[1] === 187 && data[2] === 191) {
    throw new ConfigError(
      `${shown(path)}: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; save the file as UTF-8 without a BOM`
    );
  }
  let text;
  try {
    text = decoder.decode(data);
  } catch {
    throw new ConfigError(`${shown(path)}: not UTF-8 text (${invalidAt(data)})`);
  }
  const tooDeep = `${shown(path)}: arrays or tables are nested more than ${MAX_NESTING} levels deep`;
  let document;
  try {
    document = parse(text, { integersAsBigInt: true });
  } catch (error) {
    if (/nested/.test(error.message)) throw new ConfigError(tooDeep);
    const first = String(error.message).split("\n")[0].replace(/^Invalid TOML document: /, "");
    const where = error.line ? ` (at line ${error.line}, column ${error.column})` : "";
    throw new ConfigError(`${shown(path)}: invalid TOML: ${first}${where}`);
  }
  if (nestingExceeds(document, MAX_NESTING)) throw new ConfigError(tooDeep);
  return floatsWrapped(document);
}
function nestingExceeds(document, most) {
  const stack = [[document, 0]];
  while (stack.length) {
    const [value, level] = stack.pop();
    if (level > most) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (Array.isArray(child) || isTable(child)) stack.push([child, level + 1]);
    }
  }
  return false;
}
function invalidAt(data) {
  const streaming = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let start2 = 0; start2 < data.length; start2++) {
    try {
      streaming.decode(data.subarray(start2, start2 + 1), { stream: true });
    } catch {
      return `invalid start byte at byte ${start2}`;
    }
  }
  let start = data.length - 1;
  while (start > 0 && data.length - start < 4 && (data[start] & 192) === 128) start -= 1;
  return `unexpected end of data at byte ${start}`;
}
function readBytes(path) {
  let descriptor;
  try {
    descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error.code === "ENOENT") {
      let reason = "No such file or directory";
      try {
        if (lstatSync(path).isSymbolicLink()) {
          reason = `it is a symbolic link to ${shown(readlinkSync(path), { quoted: true })}, which does not exist`;
        }
      } catch {
      }
      throw new ConfigError(`cannot read ${shown(path, { quoted: true })}: ${reason}`);
    }
    throw new ConfigError(cannot("read", path, error));
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      throw new ConfigError(`cannot read ${shown(path, { quoted: true })}: it is ${fileKind(stats)}, not a regular file`);
    }
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_CONFIG_BYTES) + 1);
    let length = 0;
    for (; ; ) {
      if (length === buffer.length) break;
      const read = readSync(descriptor, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        `cannot read ${shown(path, { quoted: true })}: it is larger than ${kilo(MAX_CONFIG_BYTES)} bytes, the most stableport reads of a configuration file`
      );
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(cannot("read", path, error));
  } finally {
    closeSync(descriptor);
  }
}
function fileKind(stats) {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "no regular file";
}
function stableportTable(path, document) {
  let table;
  let where;
  if (basename(path) === PYPROJECT_NAME) {
    const tool = Object.hasOwn(document, "tool") ? document.tool : {};
    table = isTable(tool) && Object.hasOwn(tool, "stableport") ? tool.stableport : null;
    if (table === null) throw new ConfigError(`${shown(path)}: no [tool.stableport] table; add one or name another file`);
    where = "[tool.stableport]";
  } else {
    [table, where] = [document, "the top level"];
  }
  if (!isTable(table)) throw new ConfigError(`${shown(path)}: ${where} must be a table of stableport settings`);
  return [table, where];
}

// src/config.js
import { resolve as resolve3 } from "node:path";

// src/instance.js
import { closeSync as closeSync2, constants as constants2, lstatSync as lstatSync2, openSync as openSync2, readSync as readSync2, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname as dirname2, isAbsolute, join as join2, resolve as resolve2 } from "node:path";

// src/defaults.js
var BROWSER = [
  1,
  7,
  9,
  11,
  13,
  15,
  17,
  19,
  20,
  21,
  22,
  23,
  25,
  37,
  42,
  43,
  53,
  69,
  77,
  79,
  87,
  95,
  101,
  102,
  103,
  104,
  109,
  110,
  111,
  113,
  115,
  117,
  119,
  123,
  135,
  137,
  139,
  143,
  161,
  179,
  389,
  427,
  465,
  512,
  513,
  514,
  515,
  526,
  530,
  531,
  532,
  540,
  548,
  554,
  556,
  563,
  587,
  601,
  636,
  989,
  990,
  993,
  995,
  1719,
  1720,
  1723,
  2049,
  3659,
  4045,
  4190,
  5060,
  5061,
  6e3,
  6566,
  6665,
  6666,
  6667,
  6668,
  6669,
  6679,
  6697,
  10080
];
var BROWSER_REASON = "blocked by browsers (WHATWG Fetch 'bad port' list)";
var DEFAULT_RANGE = [2e4, 29999];
var DEFAULT_ENV = "default";
var MAX_INSTANCES = 1e3;
var DEFAULT_EXCLUSIONS = Object.freeze([
  ...BROWSER.map((port) => [port, port, BROWSER_REASON]),
  [2e4, 2e4, "DNP3 (IANA 'dnp') and Usermin"],
  [22e3, 22e3, "Syncthing sync protocol"],
  [24007, 24008, "GlusterFS daemon and management"],
  [24224, 24224, "Fluentd / Fluent Bit forward input"],
  [25565, 25565, "Minecraft Java server"],
  [25575, 25575, "Minecraft RCON"],
  [25672, 25672, "RabbitMQ inter-node and CLI tools"],
  [26257, 26257, "CockroachDB"],
  [27e3, 27e3, "FlexLM license manager"],
  [27015, 27015, "Source engine / Steam game servers"],
  [27017, 27019, "MongoDB"],
  [28015, 28015, "RethinkDB client driver"],
  [28017, 28017, "MongoDB legacy HTTP status"],
  [29015, 29015, "RethinkDB intra-cluster"],
  [3e3, 3e3, "Next.js, Rails, Grafana dev servers"],
  [3306, 3306, "MySQL"],
  [4173, 4173, "Vite preview"],
  [4200, 4200, "Angular dev server"],
  [5e3, 5e3, "Flask dev server; macOS AirPlay receiver"],
  [5173, 5173, "Vite dev server"],
  [5432, 5432, "PostgreSQL"],
  [6379, 6379, "Redis"],
  [8e3, 8e3, "Django dev server"],
  [8080, 8080, "HTTP alternate (many servers)"],
  [8888, 8888, "Jupyter"],
  [9e3, 9e3, "MinIO and others"],
  [9090, 9090, "Prometheus"],
  [9092, 9092, "Kafka"],
  [9200, 9200, "Elasticsearch"],
  [11211, 11211, "memcached"],
  [11434, 11434, "Ollama"],
  [15672, 15672, "RabbitMQ management"],
  [16686, 16686, "Jaeger UI"]
]);

// src/text.js
var SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
var EDGES = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");
var pythonStrip = (text) => text.replace(EDGES, "");
function byCodePoint(a, b) {
  const left = Array.from(a, (char) => char.codePointAt(0));
  const right = Array.from(b, (char) => char.codePointAt(0));
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return left.length - right.length;
}

// src/instance.js
var INSTANCE_VARIABLE = "STABLEPORT_INSTANCE";
var INSTANCE_FILE_NAME = ".stableport-instance";
var MADE_FOR = "for: ";
var require2 = createRequire(import.meta.url);
var SPACE2 = " 	\n\r\f\v";
var stripSpace = (text) => {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE2.includes(text[start])) start += 1;
  while (end > start && SPACE2.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
};
var UnreadableIdentityError = class extends ConfigError {
};
var lexists2 = (path) => {
  try {
    lstatSync2(path);
    return true;
  } catch {
    return false;
  }
};
function instanceOf({ option = null, variables, configPath, inputs, label }) {
  let value = option === null ? null : String(option);
  let source = "--instance";
  if (value === null && variables[INSTANCE_VARIABLE] !== void 0) {
    [value, source] = [variables[INSTANCE_VARIABLE], INSTANCE_VARIABLE];
  }
  const room = inputs.instances ?? 0;
  if (value === null && configPath !== null) {
    [value, source] = checkoutIdentity(configPath, room, variables);
  }
  if (value === null) return null;
  return { number: checkedInstance(value, source, room, label), source };
}
function checkedInstance(value, source, room, label) {
  const number = parseInstance(value, source);
  if (number > room) {
    throw new ConfigError(room ? `instance ${number} (from ${source}) is beyond instances = ${room} in ${label}; instances are 1 to ${room} (0: the plain map). Raise instances, or run stableport instance new for a free one` : `instance ${number} (from ${source}) needs room: ${label} declares no instances; add instances = N (N >= ${number}) to it, or remove ${source}`);
  }
  return number;
}
function parseInstance(value, source) {
  const text = stripSpace(value);
  if (!/^[0-9]+$/.test(text) || text.length > String(MAX_INSTANCES).length + 2) {
    throw new ConfigError(`instance ${excerpt(value)} (from ${source}) is not a whole number; write one from 0 (the plain map) to ${MAX_INSTANCES}`);
  }
  const number = Number(text);
  if (number > MAX_INSTANCES) throw new ConfigError(`instance ${number} (from ${source}) is above ${MAX_INSTANCES}, the most there are`);
  return number;
}
function checkoutIdentity(configPath, room, variables) {
  const path = join2(dirname2(configPath), INSTANCE_FILE_NAME);
  const found = readIdentity(path);
  const original = found === null ? null : copiedFrom(found, path);
  if (found !== null && original === null) return [found.value, shown(path)];
  if (!room) return found === null ? [null, ""] : [found.value, shown(path)];
  let ci = variables.CI;
  if (ci !== void 0 && ["", "0", "false", "no"].includes(pythonStrip(ci).toLowerCase())) ci = void 0;
  const refused = !linkedWorktree(dirname2(configPath)) ? "it is not in a linked git worktree" : ci === void 0 ? null : `CI=${ci} is set`;
  if (refused !== null) {
    if (original === null) return [null, ""];
    throw new ConfigError(
      `${shown(path)} was made for ${shown(original)}, which still exists: this checkout is a copy of it and would get its ports. It is given no instance of its own here (${refused}): remove the file for the plain map, or set ${INSTANCE_VARIABLE}`
    );
  }
  return firstUse(configPath, path, room, variables);
}
function firstUse(configPath, path, room, variables) {
  const environment = { ...variables };
  delete environment[INSTANCE_VARIABLE];
  const { spawnSync } = require2("node:child_process");
  const result = spawnSync("stableport", ["instance", "--config", configPath], {
    env: environment,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8"
  });
  const directory = shown(dirname2(configPath));
  if (result.error) {
    throw new ConfigError(
      `${directory} is a git worktree with no instance of its own, in a project that declares instances = ${room}: the stableport command (Python) gives it one on first use, and is not on PATH (${result.error.code}); run stableport instance new there once, or set ${INSTANCE_VARIABLE}=N`
    );
  }
  if (result.stderr) process.stderr.write(result.stderr);
  if (result.status !== 0) {
    throw new ConfigError(`${directory}: stableport instance, giving this worktree an instance, failed: ${result.stderr.trim()}`);
  }
  const found = readIdentity(path);
  if (found === null || copiedFrom(found, path) !== null) return [null, ""];
  return [found.value, shown(path)];
}
function readIdentity(path) {
  const text = identityText(path);
  if (text === null) return null;
  let start = 0;
  while (start < text.length && SPACE2.includes(text[start])) start += 1;
  const body = text.slice(start);
  const newline = body.indexOf("\n");
  const value = newline < 0 ? body : body.slice(0, newline);
  const rest = newline < 0 ? "" : body.slice(newline + 1);
  let madeFor = null;
  for (const line of rest.split("\n")) {
    if (!stripSpace(line)) continue;
    if (line.startsWith(MADE_FOR) && madeFor === null) {
      try {
        madeFor = JSON.parse(line.slice(MADE_FOR.length).replace(/[ \t\n\r\f\v]+$/, ""));
      } catch {
        madeFor = null;
      }
      if (typeof madeFor === "string" && isAbsolute(madeFor)) continue;
    }
    throw new ConfigError(
      `${shown(path)}: ${excerpt(line)} is not a line of an identity file, which holds the instance on its first line and at most a line ${MADE_FOR}"DIR"; remove the file, and run stableport instance new`
    );
  }
  return { value, madeFor };
}
function identityText(path) {
  try {
    lstatSync2(path);
  } catch (error) {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
    throw new UnreadableIdentityError(`cannot read ${shown(path, { quoted: true })}: ${error.message}`);
  }
  let descriptor;
  try {
    descriptor = openSync2(path, constants2.O_RDONLY | (constants2.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error.code === "ENOENT") {
      if (lstatSync2(path, { throwIfNoEntry: false })?.isSymbolicLink()) readBytes(path);
      return null;
    }
    throw new UnreadableIdentityError(`cannot read ${shown(path, { quoted: true })}: ${error.message}`);
  }
  closeSync2(descriptor);
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(readBytes(path));
}
function copiedFrom(found, path) {
  if (found.madeFor === null) return null;
  let here;
  try {
    here = realpathSync(dirname2(path));
  } catch {
    here = resolve2(dirname2(path));
  }
  if (here === found.madeFor || !lexists2(found.madeFor)) return null;
  return found.madeFor;
}
function linkedWorktree(directory) {
  const found = checkoutOf(directory);
  if (found === null || found.gitdir === null) return false;
  const gitdir = isAbsolute(found.gitdir) ? found.gitdir : `${found.top}/${found.gitdir}`;
  try {
    return statSync(join2(gitdir, "commondir")).isFile();
  } catch {
    return false;
  }
}
function checkoutOf(directory) {
  let folder = resolve2(directory);
  for (; ; ) {
    const dotGit = join2(folder, ".git");
    let stats = null;
    try {
      stats = statSync(dotGit);
    } catch {
    }
    if (stats?.isDirectory()) return { top: folder, gitdir: null };
    if (stats?.isFile()) {
      let head;
      try {
        const descriptor = openSync2(dotGit, "r");
        try {
          const buffer = Buffer.alloc(4096);
          head = buffer.subarray(0, readSync2(descriptor, buffer, 0, 4096, 0));
        } finally {
          closeSync2(descriptor);
        }
      } catch {
        return null;
      }
      const newline = head.indexOf(10);
      const text = stripSpace((newline < 0 ? head : head.subarray(0, newline)).toString());
      if (!text.startsWith("gitdir:")) return null;
      return { top: folder, gitdir: pythonStrip(text.slice("gitdir:".length)) };
    }
    const parent = dirname2(folder);
    if (parent === folder) return null;
    folder = parent;
  }
}

// src/names.js
import { createRequire as createRequire2 } from "node:module";
var UNICODE_VERSION = "15.1";
var MAX_NAME_LENGTH = 128;
var RESERVED_CHARACTERS = "@=,";
var WHITESPACE = /* @__PURE__ */ new Set([
  9,
  10,
  11,
  12,
  13,
  28,
  29,
  30,
  31,
  32,
  133,
  160,
  5760,
  8192,
  8193,
  8194,
  8195,
  8196,
  8197,
  8198,
  8199,
  8200,
  8201,
  8202,
  8232,
  8233,
  8239,
  8287,
  12288
]);
var PLAIN = /^[\x20-\x7e]*$/;
var rejectedRanges;
var folding;
var require3 = createRequire2(import.meta.url);
function tables() {
  if (rejectedRanges === void 0) {
    const data = require3("../src/unicode-data.json");
    if (data.version !== UNICODE_VERSION) {
      throw new Error(`src/unicode-data.json holds Unicode ${data.version}, names.js says ${UNICODE_VERSION}: run npm run unicode`);
    }
    rejectedRanges = data.rejected.split(",").flatMap((pair) => pair.split(" ").map((n) => parseInt(n, 36)));
    folding = /* @__PURE__ */ new Map();
    for (const entry of data.folding.split(",")) {
      const [codePoint, ...target] = entry.split(" ").map((n) => parseInt(n, 36));
      folding.set(codePoint, String.fromCodePoint(...target));
    }
  }
}
function rejection(codePoint) {
  if (codePoint <= 31 || codePoint >= 127 && codePoint <= 159) return "a control character";
  if (codePoint >= 55296 && codePoint <= 57343) return "a surrogate";
  if (codePoint === 8232) return "a line separator";
  if (codePoint === 8233) return "a paragraph separator";
  if (codePoint < 128) return null;
  tables();
  let low = 0;
  let high = rejectedRanges.length / 2 - 1;
  while (low <= high) {
    const middle = low + high >> 1;
    if (codePoint < rejectedRanges[2 * middle]) high = middle - 1;
    else if (codePoint > rejectedRanges[2 * middle + 1]) low = middle + 1;
    else return isFormat(codePoint) ? "an invisible format character" : "unassigned";
  }
  return null;
}
var isFormat = (codePoint) => codePoint === 173 || codePoint >= 1536 && codePoint <= 1541 || codePoint === 1564 || codePoint === 1757 || codePoint === 1807 || codePoint === 6158 || codePoint >= 8203 && codePoint <= 8207 || codePoint >= 8234 && codePoint <= 8238 || codePoint >= 8288 && codePoint <= 8303 || codePoint === 65279 || codePoint >= 65529 && codePoint <= 65531 || codePoint >= 917504 && codePoint <= 917631;
function casefold(text) {
  tables();
  let out = "";
  for (const char of text) out += folding.get(char.codePointAt(0)) ?? char;
  return out;
}
var typeName = (value) => value === null || value === void 0 ? "NoneType" : Array.isArray(value) ? "list" : typeof value;
function normalizeName(value, kind = "service name", where = "") {
  const origin = where ? ` (from ${where})` : "";
  if (typeof value !== "string") {
    throw new InvalidTypeError(`${kind} must be a str, not ${typeName(value)}: ${excerpt(value)}${origin}`);
  }
  if (PLAIN.test(value)) {
    if (value.length > MAX_NAME_LENGTH) {
      throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${value.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
    }
    if (!value) throw new InvalidNameError(`${kind} is empty${origin}; give at least one character`);
    if (value[0] === " " || value.at(-1) === " ") {
      throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} has leading or trailing whitespace; remove it`);
    }
    const reserved = /[@=,]/.exec(value);
    if (reserved) throw reservedError(kind, value, origin, reserved[0]);
    return value.toLowerCase();
  }
  const codePoints = Array.from(value, (char) => char.codePointAt(0));
  if (codePoints.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${codePoints.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  if (WHITESPACE.has(codePoints[0]) || WHITESPACE.has(codePoints.at(-1))) {
    throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} has leading or trailing whitespace; remove it`);
  }
  for (const codePoint of codePoints) {
    const char = String.fromCodePoint(codePoint);
    if (RESERVED_CHARACTERS.includes(char)) throw reservedError(kind, value, origin, char);
    const why = rejection(codePoint);
    if (why !== null) {
      const hex = codePoint.toString(16).toUpperCase().padStart(4, "0");
      throw new InvalidNameError(`${kind} ${pyrepr(value)}${origin} contains U+${hex}, ${why}; use printable characters`);
    }
  }
  const folded = casefold(value.normalize("NFC")).normalize("NFC");
  const length = Array.from(folded).length;
  if (length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${kind} ${excerpt(value)}${origin} is ${length} characters long once casefolded; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  return folded;
}
function reservedError(kind, value, origin, char) {
  return new InvalidNameError(
    `${kind} ${pyrepr(value)}${origin} contains ${pyrepr(char)}, which is reserved; names may not contain any of @ = ,`
  );
}

// src/hash.js
import { createRequire as createRequire3 } from "node:module";
var require4 = createRequire3(import.meta.url);
var SUFFIXES = { linux: ["-gnu", "-musl"], win32: ["-msvc"], darwin: [""], freebsd: [""] };
function xxhash() {
  for (const suffix of SUFFIXES[process.platform] ?? []) {
    try {
      return require4(`@node-rs/xxhash-${process.platform}-${process.arch}${suffix}`);
    } catch {
    }
  }
  return require4("@node-rs/xxhash");
}
var { xxh3 } = xxhash();
var MASK64 = (1n << 64n) - 1n;
var MULTIPLIER = 2862933555777941757n;
var HASHED_PROBES = 16;
var PREFIX = Buffer.from("stableport\0v1\0");
var hash = (key, seed) => xxh3.xxh64(key, BigInt(seed));
var CHECK_KEY = Buffer.from("stableport\0v1\0default\0billing");
for (const [seed, expected] of [[0, 0xff1587e723a1dbc6n], [1, 0x54b818974e6a5773n]]) {
  const actual = hash(CHECK_KEY, seed);
  if (actual !== expected) {
    throw new HashFunctionError(
      `@node-rs/xxhash gives XXH3_64bits_withSeed(key, ${seed}) = 0x${actual.toString(16)}, but stableport's v1 algorithm needs 0x${expected.toString(16)}`
    );
  }
}
function keyPrefix(namespace) {
  return namespace == null ? PREFIX : Buffer.concat([PREFIX, Buffer.from(`${namespace}\0`)]);
}
function keyBytes(service, env, prefix) {
  return Buffer.concat([prefix, Buffer.from(`${env}\0${service}`)]);
}
function jump(key, buckets) {
  let bucket = -1;
  let candidate = 0;
  while (candidate < buckets) {
    bucket = candidate;
    key = key * MULTIPLIER + 1n & MASK64;
    candidate = Math.floor((bucket + 1) * (2147483648 / (Number(key >> 33n) + 1)));
  }
  return bucket;
}
function* probeSequence(key, low, high) {
  const size = high - low + 1;
  const start = jump(hash(key, 0), size);
  const seen = /* @__PURE__ */ new Set([low + start]);
  yield low + start;
  for (let seed = 1; seed < HASHED_PROBES; seed++) {
    const port = low + jump(hash(key, seed), size);
    if (!seen.has(port)) {
      seen.add(port);
      yield port;
    }
  }
  for (let offset = 1; offset < size; offset++) {
    const port = low + (start + offset) % size;
    if (!seen.has(port)) yield port;
  }
}

// src/ports.js
var MIN_PORT = 1;
var MAX_PORT = 65535;
var isInteger = (value) => typeof value === "bigint" || Number.isInteger(value);
var typeName2 = (value) => typeof value === "bigint" || Number.isInteger(value) ? "int" : typeof value === "number" || value?.constructor?.name === "TomlFloat" ? "float" : typeof value === "string" ? "str" : typeof value === "boolean" ? "bool" : Array.isArray(value) ? "list" : value === null || value === void 0 ? "NoneType" : typeof value;
function checkPort(value, what, ErrorKind = PortRangeError) {
  if (!isInteger(value)) {
    throw new InvalidTypeError(`${what} must be an int port, not ${typeName2(value)}: ${excerpt(value)}`);
  }
  if (!(value >= MIN_PORT && value <= MAX_PORT)) {
    throw new ErrorKind(`${what} is ${excerpt(value)}, outside the valid ports ${MIN_PORT}-${MAX_PORT}`);
  }
  return Number(value);
}
function checkRange(value, what = "port_range") {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidTypeError(`${what} must be two ints (low, high), inclusive; got ${excerpt(value)}`);
  }
  const low = checkPort(value[0], `${what} low end`);
  const high = checkPort(value[1], `${what} high end`);
  if (low > high) {
    throw new PortRangeError(`${what} ${low}-${high} is reversed: its low end must not exceed its high end`);
  }
  return [low, high];
}
function checkExclusions(value, what = "exclude") {
  if (!Array.isArray(value)) {
    throw new InvalidTypeError(`${what} must be a list of ports and (low, high) ranges; got ${excerpt(value)}`);
  }
  const intervals = value.map((item, index) => {
    if (Array.isArray(item)) return checkRange(item, `${what}[${index}]`);
    const port = checkPort(item, `${what}[${index}]`);
    return [port, port];
  });
  intervals.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged = [];
  for (const [low, high] of intervals) {
    const top = merged.at(-1);
    if (top && low <= top[1] + 1) top[1] = Math.max(top[1], high);
    else merged.push([low, high]);
  }
  return merged;
}
var formatPinKey = (service, env) => env === null ? service : `${service}@${env}`;
var pinId = (service, env) => env === null ? service : `${service}\0${env}`;
function pinTable(entries) {
  const pins = /* @__PURE__ */ new Map();
  const owners = /* @__PURE__ */ new Map();
  for (const [text, rawPort, label] of entries) {
    const at = text.indexOf("@");
    const service = normalizeName(at < 0 ? text : text.slice(0, at), "service name", label);
    const env = at < 0 ? null : normalizeName(text.slice(at + 1), "environment name", label);
    addPin(pins, owners, service, env, rawPort, label);
  }
  return pins;
}
function addPin(pins, owners, service, env, rawPort, label) {
  const port = checkPort(rawPort, label, PinConflictError);
  const id = pinId(service, env);
  if (pins.has(id)) {
    throw new PinConflictError(`${pins.get(id).label} and ${label} pin the same service and environment; keep one`);
  }
  const owner = owners.get(port);
  if (owner !== void 0 && owner[0] !== service) {
    throw new PinConflictError(
      `${label} pins ${pyrepr(service)} to port ${port}, which ${owner[1]} already pins to ${pyrepr(owner[0])}; a port can be pinned to one service only`
    );
  }
  pins.set(id, { service, env, port, label });
  if (owner === void 0) owners.set(port, [service, label]);
}

// src/portmap.js
var LANE = "\0";
var GIVE_TEST_PORTS = /* @__PURE__ */ Symbol("stableport.giveTestPorts");
var laneEnv = (env, instance) => instance ? `${env}${LANE}${instance}` : env;
var laneName = (env) => env.split(LANE)[0];
function checkBoolean(value, what) {
  if (typeof value !== "boolean") throw new InvalidTypeError(`${what} must be True or False, not ${excerpt(value)}`);
  return value;
}
function checkCount(value, what) {
  if (!(typeof value === "bigint" || Number.isInteger(value))) {
    throw new InvalidTypeError(`${what} must be an integer, not ${excerpt(value)}`);
  }
  if (!(value >= 0 && value <= MAX_INSTANCES)) throw new InstanceError(`${what} ${value} is outside 0-${MAX_INSTANCES}`);
  return Number(value);
}
function checkAlgorithm(value) {
  if (!((typeof value === "bigint" || Number.isInteger(value)) && Number(value) === 1)) {
    throw new AlgorithmVersionError(`algorithm ${excerpt(value)} is not supported; this release implements algorithm 1 only`);
  }
}
function normalizeAll(values, kind, where) {
  if (!Array.isArray(values)) throw new InvalidTypeError(`${where} must be a list of names, not ${excerpt(values)}`);
  const seen = /* @__PURE__ */ new Map();
  values.forEach((value, index) => {
    const name = normalizeName(value, kind, `${where}[${index}]`);
    if (seen.has(name)) {
      throw new InvalidNameError(
        `${kind} ${excerpt(value)} in ${where} is declared twice (also as ${excerpt(seen.get(name))}); names are compared casefolded`
      );
    }
    seen.set(name, value);
  });
  return [...seen.keys()];
}
function match(claimants, low, high, taken) {
  const holders = /* @__PURE__ */ new Map();
  const state = claimants.map((claimant) => ({ probes: probeSequence(claimant.key, low, high), rank: -1, trail: [] }));
  const prefers = (a, rankA, b, rankB) => rankA < rankB || rankA === rankB && Buffer.compare(claimants[a].key, claimants[b].key) < 0;
  const waiting = claimants.map((_, index) => index).reverse();
  while (waiting.length) {
    const index = waiting.pop();
    const own = state[index];
    for (; ; ) {
      const port = own.probes.next().value;
      own.rank += 1;
      if (taken.has(port)) {
        own.trail.push(port);
        continue;
      }
      const holder = holders.get(port);
      if (holder && !prefers(index, own.rank, holder[0], holder[1])) {
        own.trail.push(port);
        continue;
      }
      holders.set(port, [index, own.rank]);
      if (holder) {
        state[holder[0]].trail.push(port);
        waiting.push(holder[0]);
      }
      break;
    }
  }
  return { holders, trails: state.map((own) => own.trail) };
}
var PortMap = class _PortMap {
  #services;
  #declared;
  #env;
  #namespace;
  #range;
  #exclude;
  #pins;
  #strict;
  #defaultExclusions;
  #instances;
  #instance;
  #overlay = [];
  #prefix;
  #blocked;
  #tables = /* @__PURE__ */ new Map();
  #trails = /* @__PURE__ */ new Map();
  #lookups = /* @__PURE__ */ new Map();
  #skips;
  #testPorts = null;
  static #copying = null;
  // [map, overlay] while overlay() builds its copy
  /**
   * Inputs as docs/algorithm.md section 4 names them; pins as text keys
   * ({'billing': 8001, 'auth@test': 8002}) or, from a configuration, as a
   * table already made by pinTable. Checked in the order of section 7.
   */
  constructor({
    services = [],
    envs = null,
    env = null,
    namespace = null,
    range = DEFAULT_RANGE,
    exclude = [],
    pins = {},
    strict = false,
    defaultExclusions = true,
    algorithm = 1,
    instances = 0,
    instance = 0
  } = {}) {
    if (_PortMap.#copying) {
      const [source, overlay] = _PortMap.#copying;
      _PortMap.#copying = null;
      this.#copyFrom(source, overlay);
      return;
    }
    checkAlgorithm(algorithm);
    this.#strict = checkBoolean(strict, "strict");
    this.#defaultExclusions = checkBoolean(defaultExclusions, "default_exclusions");
    this.#range = checkRange(range);
    this.#exclude = checkExclusions(exclude);
    this.#pins = pins instanceof Map ? pins : pinTable(Object.entries(pins ?? {}).map(([text, port]) => [text, port, `pins[${excerpt(text)}]`]));
    this.#env = env == null ? DEFAULT_ENV : normalizeName(env, "environment name", "env");
    this.#namespace = namespace == null ? null : normalizeName(namespace, "namespace", "namespace");
    this.#instances = checkCount(instances, "instances");
    this.#instance = checkCount(instance, "instance");
    if (this.#instance > this.#instances) {
      const room = this.#instances ? `instances are 1 to ${this.#instances}` : "it declares no instances";
      throw new InstanceError(
        `instance ${this.#instance} is beyond this map's instances = ${this.#instances} (${room}; 0 is the plain map); raise instances or pick an instance within it`
      );
    }
    const declared = envs == null ? [] : normalizeAll(envs, "environment name", "envs");
    this.#declared = declared.length ? new Set(declared) : null;
    this.#services = new Set(normalizeAll(services, "service name", "services"));
    for (const { service } of this.#pins.values()) this.#services.add(service);
    this.#prefix = keyPrefix(this.#namespace);
    this.#blocked = this.#unavailable();
    this.#table(this.#homeKey());
    if (this.#instances) this.#checkRoom(this.#laneClaimants(), this.#table(this.#homeKey()), "instances");
  }
  get services() {
    return [...this.#services].sort(byCodePoint);
  }
  get envs() {
    return this.#declared ? [...this.#declared].sort(byCodePoint) : null;
  }
  get env() {
    return this.#env;
  }
  get namespace() {
    return this.#namespace;
  }
  get range() {
    return [...this.#range];
  }
  get exclude() {
    return this.#exclude.map((span) => [...span]);
  }
  get strict() {
    return this.#strict;
  }
  get defaultExclusions() {
    return this.#defaultExclusions;
  }
  get instances() {
    return this.#instances;
  }
  get instance() {
    return this.#instance;
  }
  get overlayEnvs() {
    return [...this.#overlay].sort(byCodePoint);
  }
  /** Pins as text keys, sorted: {'billing': 8001, 'auth@test': 8002}. */
  get pins() {
    const entries = [...this.#pins.values()].map(({ service, env, port }) => [formatPinKey(service, env), port]);
    return Object.fromEntries(entries.sort(([a], [b]) => byCodePoint(a, b)));
  }
  /** Every exclusion in force as [low, high, reason]: the defaults, then the map's own. */
  exclusionsInForce() {
    const own = this.#exclude.map(([low, high]) => [low, high, "in this map's exclude list"]);
    return [...this.#defaultExclusions ? DEFAULT_EXCLUSIONS : [], ...own];
  }
  /** The port of service name in env (default: the map's env). */
  portFor(name, env = null) {
    const cacheKey = env === null || env === void 0 ? name : `${name}\0${env}`;
    if (typeof name === "string" && (env == null || typeof env === "string")) {
      const known = this.#lookups.get(cacheKey);
      if (known !== void 0) return known;
    }
    const [service, environment] = this.#normalizeLookup(name, env);
    const port = this.#handed(service, environment) ?? this.#port(service, environment);
    if (typeof name === "string" && this.#lookups.size < 4096) this.#lookups.set(cacheKey, port);
    return port;
  }
  /** Make this map, just loaded, a live test run's: ports answer lookups in env, the run's. */
  [GIVE_TEST_PORTS](env, ports) {
    this.#testPorts = [env, ports];
  }
  // The port a live test run handed service in env, if this map is that run's.
  #handed(service, env) {
    if (this.#testPorts === null || env !== this.#testPorts[0]) return null;
    return this.#testPorts[1].get(service) ?? null;
  }
  /** Every declared (service, env) and its port: [{service, env, port}], sorted by service then env. */
  assignments() {
    const homeEnvs = this.#homeEnvs();
    const envs = [.../* @__PURE__ */ new Set([...homeEnvs, ...this.#overlay])].sort(byCodePoint);
    const out = [];
    for (const service of this.services) {
      for (const env of envs) out.push({ service, env, port: this.#handed(service, env) ?? this.#port(service, env) });
    }
    return out;
  }
  /** A map with the same inputs and envs as its overlay, resolved together above its home. */
  overlay(envs) {
    const names = normalizeAll(envs, "environment name", "overlay");
    const home = this.#homeEnvs();
    const own = names.find((env) => home.has(env));
    if (own !== void 0) {
      throw new InvalidNameError(`overlay environment ${pyrepr(own)} is already one of this map's environments`);
    }
    _PortMap.#copying = [this, names];
    return new _PortMap();
  }
  #copyFrom(source, overlay) {
    this.#services = source.#services;
    this.#declared = source.#declared;
    this.#env = source.#env;
    this.#namespace = source.#namespace;
    this.#range = source.#range;
    this.#exclude = source.#exclude;
    this.#pins = source.#pins;
    this.#strict = source.#strict;
    this.#defaultExclusions = source.#defaultExclusions;
    this.#instances = source.#instances;
    this.#instance = source.#instance;
    this.#prefix = source.#prefix;
    this.#blocked = source.#blocked;
    this.#overlay = overlay;
    this.#lookups = /* @__PURE__ */ new Map();
    this.#testPorts = source.#testPorts;
    this.#tables = new Map([...source.#tables].filter(([key]) => !key.endsWith("^")));
    this.#trails = new Map([...source.#trails].filter(([key]) => !key.endsWith("^")));
    if (overlay.length) this.#table(this.#overlayKey());
    return this;
  }
  /** Why name has its port in env, as data: every probe and why it was skipped or taken. */
  explain(name, env = null) {
    const [service, environment] = this.#normalizeLookup(name, env);
    const port = this.#port(service, environment);
    const pin = this.#pinEntry(service, environment);
    if (pin) return { service, env: environment, port, how: "pinned", pin: formatPinKey(pin.service, pin.env), key: null, probes: [] };
    const declared = this.#services.has(service);
    const lane = laneEnv(environment, this.#instance);
    const tableKey = this.#tableKey(lane);
    const table = this.#table(tableKey);
    const trails = this.#trails.get(tableKey);
    const holders = new Map([...table].map(([pair, held]) => [held, pair]));
    const rivals = declared ? new Set(tableKey.slice(0, -1).split("")) : /* @__PURE__ */ new Set();
    const key = keyBytes(service, lane, this.#prefix);
    const [low, high] = this.#range;
    const candidates = declared ? [...trails.get(`${service}${lane}`) ?? [], port] : probeSequence(key, low, high);
    const skips = this.#skipReasons();
    const probes = [];
    let step = 0;
    for (const candidate of candidates) {
      if (candidate === port) {
        probes.push({ step, port: candidate, verdict: "taken", reason: "free: taken" });
        break;
      }
      const skip = skips.get(candidate);
      if (skip) probes.push({ step, port: candidate, verdict: skip[0], reason: skip[1] });
      else probes.push({ step, port: candidate, verdict: "held", reason: this.#heldReason(candidate, step, holders, rivals, trails) });
      step += 1;
    }
    return { service, env: environment, port, how: probes.length === 1 ? "hashed" : "probed", pin: null, key: key.toString("hex"), probes };
  }
  #heldReason(port, rank, holders, rivals, trails) {
    const pair = holders.get(port);
    const [service, env] = pair.split("");
    const [name, number] = env.split(LANE);
    const holder = `${service}@${name}${number ? ` of instance ${number}` : ""}`;
    if (!rivals.has(env)) return `held by ${holder} (assigned before this lookup)`;
    const holderRank = (trails.get(pair) ?? []).length;
    const why = holderRank === rank ? `its probe ${holderRank} too, and its key sorts first` : `its probe ${holderRank}, earlier than this probe ${rank}`;
    return `held by ${holder} (${why})`;
  }
  #skipReasons() {
    if (this.#skips === void 0) {
      const [low, high] = this.#range;
      const pinned = /* @__PURE__ */ new Map();
      for (const { service, env, port } of this.#pins.values()) {
        if (port >= low && port <= high) pinned.set(port, [...pinned.get(port) ?? [], formatPinKey(service, env)]);
      }
      const skips = new Map([...pinned].map(([port, keys]) => [port, ["pinned", `pinned to ${keys.join(" and ")}`]]));
      for (const [first, last, reason] of this.exclusionsInForce()) {
        for (let port = Math.max(first, low); port <= Math.min(last, high); port++) {
          if (!skips.has(port)) skips.set(port, ["excluded", `excluded: ${reason}`]);
        }
      }
      this.#skips = skips;
    }
    return this.#skips;
  }
  // -- lookups ---------------------------------------------------------------
  #normalizeLookup(name, env) {
    const service = normalizeName(name, "service name");
    const environment = env == null ? this.#env : normalizeName(env, "environment name");
    if (this.#strict && !this.#services.has(service)) {
      const declared = this.services.map(pyrepr).join(", ").replaceAll("'", "") || "none";
      throw new UnknownServiceError(`service ${pyrepr(service)} is not declared in this strict map (declared: ${declared})`);
    }
    return [service, environment];
  }
  #pinEntry(service, env) {
    return this.#pins.get(pinId(service, env)) ?? this.#pins.get(pinId(service, null));
  }
  #port(service, env) {
    const pin = this.#pinEntry(service, env);
    if (pin) return pin.port;
    const lane = laneEnv(env, this.#instance);
    const table = this.#table(this.#tableKey(lane));
    const port = table.get(`${service}${lane}`);
    if (port !== void 0) return port;
    const held = new Set(table.values());
    const [low, high] = this.#range;
    for (const candidate of probeSequence(keyBytes(service, lane, this.#prefix), low, high)) {
      if (!this.#blocked.has(candidate) && !held.has(candidate)) return candidate;
    }
    throw new RangeExhaustedError(
      `no free port left for ${pyrepr(service)} in range ${low}-${high}: every port is excluded, pinned or assigned to a declared service; widen the port range`
    );
  }
  // -- tables (section 4) ----------------------------------------------------
  // A table's key: its environments, sorted, joined by \x01, then '^' when it
  // stands above the home (an overlay, the lanes) or '_' when it does not.
  #homeEnvs() {
    return this.#declared ?? /* @__PURE__ */ new Set([this.#env]);
  }
  #key(envs, above) {
    return `${[...envs].sort().join("")}${above ? "^" : "_"}`;
  }
  #baseKey() {
    return this.#key(this.#declared ?? [], false);
  }
  #homeKey() {
    return this.#declared ? this.#baseKey() : this.#key([this.#env], false);
  }
  #lanesKey() {
    const lanes = [];
    for (const env of this.#homeEnvs()) for (let n = 1; n <= this.#instances; n++) lanes.push(laneEnv(env, n));
    return this.#key(lanes, true);
  }
  #overlayKey() {
    return this.#key(this.#overlay.map((env) => laneEnv(env, this.#instance)), true);
  }
  #tableKey(env) {
    if (this.#declared?.has(env)) return this.#baseKey();
    if (this.#overlay.length && this.#overlay.some((o) => laneEnv(o, this.#instance) === env)) return this.#overlayKey();
    if (this.#instance && this.#homeEnvs().has(laneName(env))) return this.#lanesKey();
    return this.#key([env], false);
  }
  #table(key) {
    let table = this.#tables.get(key);
    if (table === void 0) {
      const above = key.endsWith("^");
      const envs = key.slice(0, -1) === "" ? [] : key.slice(0, -1).split("");
      let below;
      if (key === this.#baseKey()) below = /* @__PURE__ */ new Map();
      else if (this.#instances && key !== this.#homeKey() && key !== this.#lanesKey()) below = this.#table(this.#lanesKey());
      else below = this.#table(above ? this.#homeKey() : this.#baseKey());
      table = this.#resolve(envs, below, key);
      this.#tables.set(key, table);
    }
    return table;
  }
  #resolve(envs, below, key) {
    const table = new Map(below);
    const claimants = [];
    for (const env of envs) {
      for (const service of [...this.#services].sort()) {
        const pin = this.#pinEntry(service, laneName(env));
        if (pin) table.set(`${service}${env}`, pin.port);
        else claimants.push({ pair: `${service}${env}`, key: keyBytes(service, env, this.#prefix) });
      }
    }
    const taken = this.#checkRoom(claimants.length, below);
    const [low, high] = this.#range;
    const { holders, trails } = match(claimants, low, high, taken);
    for (const [port, [index]] of holders) table.set(claimants[index].pair, port);
    this.#trails.set(key, new Map(claimants.map((claimant, index) => [claimant.pair, trails[index]])));
    return table;
  }
  #laneClaimants() {
    let pairs = 0;
    for (const env of this.#homeEnvs()) for (const service of this.#services) if (!this.#pinEntry(service, env)) pairs += 1;
    return pairs * this.#instances;
  }
  #checkRoom(claimants, below, what = "") {
    const taken = new Set(this.#blocked);
    for (const port of below.values()) taken.add(port);
    const [low, high] = this.#range;
    let free = high - low + 1;
    for (const port of taken) if (port >= low && port <= high) free -= 1;
    if (claimants > free) {
      if (what === "instances") {
        const per = claimants / this.#instances;
        throw new RangeExhaustedError(
          `instances = ${this.#instances} of ${per} (service, env) pairs need ${claimants} ports but range ${low}-${high} has only ${free} free after exclusions, pins and the plain map's ports; declare at most ${Math.floor(free / per)} instances or widen the port range`
        );
      }
      throw new RangeExhaustedError(
        `${claimants} (service, env) pairs need a port but range ${low}-${high} has only ${free} free after exclusions, pins and ports already assigned; widen the port range or declare fewer services`
      );
    }
    return taken;
  }
  #unavailable() {
    const [low, high] = this.#range;
    const blocked = /* @__PURE__ */ new Set();
    for (const [first, last] of this.exclusionsInForce()) {
      for (let port = Math.max(first, low); port <= Math.min(last, high); port++) blocked.add(port);
    }
    if (blocked.size > high - low) {
      throw new PortRangeError(`port range ${low}-${high} has no port left after exclusions; widen it or exclude less`);
    }
    for (const { port } of this.#pins.values()) if (port >= low && port <= high) blocked.add(port);
    return blocked;
  }
};

// src/overrides.js
var PINS_VARIABLE = "STABLEPORT_PINS";
function parsePinOverrides(value, variable = PINS_VARIABLE) {
  const entries = value.split(",").map((entry) => {
    const label = `${variable} entry ${excerpt(pythonStrip(entry))}`;
    const equals = entry.indexOf("=");
    const key = pythonStrip(equals < 0 ? entry : entry.slice(0, equals));
    const port = equals < 0 ? "" : pythonStrip(entry.slice(equals + 1));
    if (equals < 0 || !key || !/^[0-9]+$/.test(port)) {
      throw new ConfigError(`${label} is not 'service=port' or 'service@env=port'; separate entries with commas`);
    }
    if (port.replace(/^0+/, "").length > String(MAX_PORT).length) {
      throw new ConfigError(`${label} is outside the valid ports ${MIN_PORT}-${MAX_PORT}`);
    }
    return [key, Number(port), label];
  });
  try {
    return pinTable(entries);
  } catch (error) {
    if (error instanceof StableportError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
}

// src/testports.js
import { readFileSync, realpathSync as realpathSync2 } from "node:fs";
var TEST_RUN_VARIABLE = "STABLEPORT_TEST_RUN";
var TEST_PORTS_VARIABLE = "STABLEPORT_TEST_PORTS";
var MAX_PID = 2 ** 31 - 1;
var START_FIELD = 22 - 3;
var decimal = (text) => /^[0-9]+$/.test(text);
function currentRun(variables) {
  const runValue = variables[TEST_RUN_VARIABLE];
  if (!runValue) return null;
  const run = parseRun(runValue);
  if (!alive(run.pid, run.start)) return null;
  run.ports = parsePorts(variables[TEST_PORTS_VARIABLE] ?? "");
  return run;
}
function parseRun(value) {
  const fields = [];
  let rest = value;
  while (fields.length < 5 && rest.includes(",")) {
    fields.push(rest.slice(0, rest.indexOf(",")));
    rest = rest.slice(rest.indexOf(",") + 1);
  }
  fields.push(rest);
  let problem;
  if (fields.length < 6) {
    problem = `it has ${fields.length} field(s)`;
  } else {
    const [pid, start, env, namespace, instance, config] = fields;
    if (!decimal(pid) || !(Number(pid) >= 1 && Number(pid) <= MAX_PID)) {
      problem = `PID ${excerpt(pid)} is not a process id`;
    } else if (start && !decimal(start)) {
      problem = `START ${excerpt(start)} is not decimal digits`;
    } else if (!decimal(instance) || instance.length > 4) {
      problem = `INSTANCE ${excerpt(instance)} is not a whole number`;
    } else {
      try {
        const runEnv = normalizeName(env, "environment name", `${TEST_RUN_VARIABLE}'s ENV`);
        const runNamespace = namespace ? normalizeName(namespace, "namespace", `${TEST_RUN_VARIABLE}'s NAMESPACE`) : null;
        return { pid: Number(pid), start, env: runEnv, namespace: runNamespace, instance: Number(instance), config: config || null, ports: /* @__PURE__ */ new Map() };
      } catch (error) {
        if (!(error instanceof StableportError)) throw error;
        problem = error.message;
      }
    }
  }
  throw new ConfigError(
    `${TEST_RUN_VARIABLE}=${excerpt(value)} is not PID,START,ENV,NAMESPACE,INSTANCE,CONFIG: ${problem}; it is set by the stableport pytest fixture for the processes a test starts: unset it`
  );
}
function parsePorts(value) {
  if (!value) return /* @__PURE__ */ new Map();
  let pins;
  try {
    pins = parsePinOverrides(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.message.replaceAll(PINS_VARIABLE, TEST_PORTS_VARIABLE));
    throw error;
  }
  const withEnv = [...pins.values()].find(({ env }) => env !== null);
  if (withEnv) {
    throw new ConfigError(
      `${TEST_PORTS_VARIABLE} entry '${withEnv.service}@${withEnv.env}' names an environment; its entries are name=port, the ports of the run's environment`
    );
  }
  return new Map([...pins.values()].map(({ service, port }) => [service, port]));
}
function alive(pid, start) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== "EPERM") return false;
  }
  if (!start) return true;
  const started = startTime(pid);
  return started === null || started === start;
}
function startTime(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 1).trim().split(/\s+/);
  return fields.length > START_FIELD ? fields[START_FIELD] : null;
}
function applies(run, configPath, namespace, instance) {
  let normalized = null;
  if (namespace !== null && namespace !== void 0) {
    try {
      normalized = normalizeName(namespace, "namespace");
    } catch (error) {
      if (error instanceof StableportError) return false;
      throw error;
    }
  }
  if (normalized !== run.namespace || instance !== run.instance) return false;
  if (configPath === null || run.config === null) return configPath === run.config;
  if (configPath === run.config) return true;
  try {
    return realpathSync2(configPath) === realpathSync2(run.config);
  } catch {
    return false;
  }
}

// src/config.js
var ENV_VARIABLE = "STABLEPORT_ENV";
var NAMESPACE_VARIABLE = "STABLEPORT_NAMESPACE";
var WRONG_SHAPE = /* @__PURE__ */ Symbol("wrong shape");
var isInt = (value) => typeof value === "bigint";
var toNumber = (value) => typeof value === "bigint" && value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value;
var strings = (value) => Array.isArray(value) && value.every((item) => typeof item === "string") ? value : WRONG_SHAPE;
var KEYS = /* @__PURE__ */ new Map([
  ["algorithm", ["algorithm", "the integer 1", (value) => {
    if (!isInt(value)) return WRONG_SHAPE;
    checkAlgorithm(value);
    return toNumber(value);
  }]],
  ["strict", ["strict", "true or false", (value) => typeof value === "boolean" ? value : WRONG_SHAPE]],
  ["default_exclusions", ["defaultExclusions", "true or false", (value) => typeof value === "boolean" ? value : WRONG_SHAPE]],
  ["range", ["range", "an array of two integers [low, high]", (value, key) => Array.isArray(value) && value.length === 2 ? checkRange(value, key) : WRONG_SHAPE]],
  ["exclude", ["exclude", "an array of ports and [low, high] ranges", (value, key) => Array.isArray(value) && value.every((item) => isInt(item) || Array.isArray(item)) ? checkExclusions(value, key) : WRONG_SHAPE]],
  ["pins", ["pins", "a table of service (or 'service@env') = port", (value, key) => isTable(value) ? pinTable(Object.entries(value).map(([text, port]) => [text, port, `${key}[${excerpt(text)}]`])) : WRONG_SHAPE]],
  ["env", ["env", "an environment name (a string)", (value) => typeof value === "string" ? value : WRONG_SHAPE]],
  ["namespace", ["namespace", "a namespace name (a string)", (value) => typeof value === "string" ? value : WRONG_SHAPE]],
  ["instances", ["instances", `an integer from 0 to ${MAX_INSTANCES}`, (value) => isInt(value) ? toNumber(value) : WRONG_SHAPE]],
  ["envs", ["envs", "an array of environment names", strings]],
  ["services", ["services", "an array of service names", strings]]
]);
function settings(table, source, where) {
  const unknown = Object.keys(table).find((key) => !KEYS.has(key));
  if (unknown !== void 0) throw new ConfigError(`${source}: unknown key ${excerpt(unknown)} in ${where}${suggestion(unknown)}`);
  const inputs = {};
  for (const [key, [argument, expected, convert]] of KEYS) {
    if (!Object.hasOwn(table, key)) continue;
    const value = table[key];
    let converted;
    try {
      converted = convert(value, key);
    } catch (error) {
      if (error instanceof StableportError) throw new ConfigError(`${source}: ${error.message}`, { cause: error });
      throw error;
    }
    if (converted === WRONG_SHAPE) {
      throw new ConfigError(`${source}: key ${pyrepr(key)} in ${where} must be ${expected}, not ${tomlRepr(value)}`);
    }
    inputs[argument] = converted;
  }
  return inputs;
}
function suggestion(key) {
  let best = null;
  let bestScore = 0.6;
  for (const known of KEYS.keys()) {
    const score = similarity(key, known);
    if (score >= bestScore) [best, bestScore] = [known, score];
  }
  const allowed = [...KEYS.keys()].sort().join(", ");
  return `${best ? `; did you mean ${pyrepr(best)}?` : ""} (allowed: ${allowed})`;
}
function similarity(a, b) {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return 1 - rows[a.length][b.length] / Math.max(a.length, b.length, 1);
}
function tomlRepr(value) {
  const kind = typeof value === "boolean" ? "a boolean" : typeof value === "bigint" ? "an integer" : typeof value === "number" ? "a float" : typeof value === "string" ? "a string" : Array.isArray(value) ? "an array" : value instanceof Date ? "a datetime" : "a table";
  return `${kind} ${excerpt(value)}`;
}
function readSettings(path, document = null) {
  const [table, where] = stableportTable(path, document ?? parse2(path));
  return settings(table, shown(path), where);
}
function loadWithOrigin({
  path = null,
  namespace = null,
  instance = null,
  env = null,
  cwd = null,
  variables = process.env
} = {}) {
  let found;
  let inputs;
  const run = currentRun(variables);
  if (path === null && variables[CONFIG_VARIABLE] !== void 0) path = namedByVariable(variables[CONFIG_VARIABLE], cwd);
  if (path !== null) {
    found = pathArgument(path);
    if (cwd !== null) found = resolve3(cwd, found);
    inputs = readSettings(found);
  } else {
    let [discovered, document] = discover(cwd ?? workingDirectory());
    if (discovered === null && run !== null && run.config !== null) {
      [discovered, document] = [run.config, null];
    }
    found = discovered;
    inputs = found === null ? {} : readSettings(found, document);
  }
  const at = found === null ? null : resolve3(found);
  let label = found === null ? "the built-in defaults" : shown(found);
  const origin = { path: at, envOverride: null, namespaceOverride: null, pinOverrides: {}, instanceSource: null, testRun: null };
  [inputs, label] = overridden(inputs, origin, label, variables, namespace, env);
  const chosen = instanceOf({ option: instance, variables, configPath: at, inputs, label });
  if (chosen !== null) {
    inputs.instance = chosen.number;
    origin.instanceSource = chosen.source;
  }
  const own = run !== null && applies(run, at, inputs.namespace ?? null, inputs.instance ?? 0);
  if (own && env === null) {
    inputs.env = run.env;
    origin.envOverride = null;
  }
  let map;
  try {
    map = new PortMap(inputs);
  } catch (error) {
    if (error instanceof StableportError) throw new ConfigError(`${label}: ${error.message}`, { cause: error });
    throw error;
  }
  if (own) {
    origin.testRun = run;
    map[GIVE_TEST_PORTS](run.env, run.ports);
  }
  return [map, origin];
}
function overridden(inputs, origin, label, variables, namespace, env) {
  inputs = { ...inputs };
  if (env !== null) {
    inputs.env = normalizeName(env, "environment name", "--env");
  } else if (variables[ENV_VARIABLE] !== void 0) {
    origin.envOverride = variables[ENV_VARIABLE];
    try {
      inputs.env = normalizeName(origin.envOverride, "environment name", ENV_VARIABLE);
    } catch (error) {
      throw new ConfigError(error.message);
    }
  }
  if (namespace !== null) {
    inputs.namespace = normalizeName(namespace, "namespace", "--namespace");
  } else if (variables[NAMESPACE_VARIABLE] !== void 0) {
    origin.namespaceOverride = variables[NAMESPACE_VARIABLE];
    inputs.namespace = normalizeName(origin.namespaceOverride, "namespace", NAMESPACE_VARIABLE);
  }
  if (variables[PINS_VARIABLE] !== void 0) {
    const overrides = parsePinOverrides(variables[PINS_VARIABLE]);
    const merged = /* @__PURE__ */ new Map();
    for (const [id, pin] of inputs.pins ?? /* @__PURE__ */ new Map()) {
      merged.set(id, { ...pin, label: `pins[${pyrepr(formatPinKey(pin.service, pin.env))}]` });
    }
    for (const [id, pin] of overrides) {
      merged.set(id, pin);
      origin.pinOverrides[formatPinKey(pin.service, pin.env)] = pin.port;
    }
    label = `${label} with ${PINS_VARIABLE}`;
    const pins = /* @__PURE__ */ new Map();
    const owners = /* @__PURE__ */ new Map();
    try {
      for (const { service, env: env2, port, label: name } of merged.values()) addPin(pins, owners, service, env2, port, name);
    } catch (error) {
      if (error instanceof StableportError) throw new ConfigError(`${label}: ${error.message}`, { cause: error });
      throw error;
    }
    inputs.pins = pins;
  }
  return [inputs, label];
}

// src/index.js
var LOOKUP_CACHE_SIZE = 4096;
var defaultMap = null;
var lookups = /* @__PURE__ */ new Map();
function load(pathOrOptions = void 0, options = {}) {
  const given = typeof pathOrOptions === "object" && pathOrOptions !== null && !(pathOrOptions instanceof URL) && !Buffer.isBuffer(pathOrOptions) ? pathOrOptions : { ...options, path: pathOrOptions ?? null };
  const { path = null, cwd = null, variables = process.env, namespace = null, instance = null, env = null } = given;
  const [map, origin] = loadWithOrigin({ path, cwd, variables, namespace, instance, env });
  map.configPath = origin.path;
  map.origin = origin;
  return map;
}
function portFor(name, { env = null } = {}) {
  if (env !== null && typeof env !== "string") {
    throw new InvalidTypeError(`environment name must be a str, not ${typeof env}: ${excerpt(env)} (portFor's env is an environment's name, such as 'test')`);
  }
  const key = env === null ? name : `${name}\0${env}`;
  if (typeof name === "string") {
    const known = lookups.get(key);
    if (known !== void 0) return known;
  }
  defaultMap ??= load();
  const port = defaultMap.portFor(name, env);
  if (typeof name === "string" && lookups.size < LOOKUP_CACHE_SIZE) lookups.set(key, port);
  return port;
}
function reload() {
  defaultMap = null;
  lookups.clear();
}

// stableport.mjs
var __internals = () => ({
  "src/config.js": { CONFIG_VARIABLE, ENV_VARIABLE, NAMESPACE_VARIABLE, PINS_VARIABLE, loadWithOrigin, readSettings, settings },
  "src/errors.js": { AlgorithmVersionError, ConfigError, HashFunctionError, InstanceError, InvalidNameError, InvalidTypeError, PinConflictError, PortRangeError, RangeExhaustedError, StableportError, UnknownServiceError, excerpt, pyrepr, shown },
  "src/hash.js": { HASHED_PROBES, hash, jump, keyBytes, keyPrefix, probeSequence },
  "src/instance.js": { INSTANCE_FILE_NAME, INSTANCE_VARIABLE, UnreadableIdentityError, instanceOf, linkedWorktree, parseInstance, readIdentity },
  "src/names.js": { MAX_NAME_LENGTH, RESERVED_CHARACTERS, UNICODE_VERSION, normalizeName },
  "src/portmap.js": { GIVE_TEST_PORTS, PortMap, checkAlgorithm },
  "src/testports.js": { TEST_PORTS_VARIABLE, TEST_RUN_VARIABLE, alive, applies, currentRun, parsePorts, parseRun }
});
export {
  AlgorithmVersionError,
  ConfigError,
  HashFunctionError,
  InstanceError,
  InvalidNameError,
  InvalidTypeError,
  PinConflictError,
  PortMap,
  PortRangeError,
  RangeExhaustedError,
  StableportError,
  UNICODE_VERSION,
  UnknownServiceError,
  __internals,
  load,
  normalizeName,
  portFor,
  reload
};
