"""Spreadsheet limits, checked before any reader allocates anything for an uploaded .xlsx.

python-calamine builds a dense range from a sheet's first to its last cell: a 2 KB file with a
cell at A1 and one at XFD1048576 asks for 512 GiB and the allocator aborts the whole process —
the web server with it. So ``check_limits(path)`` reads the file once first, streaming, in
chunks, and raises ``TooLarge`` (an ``UnreadableFile``, message in Chinese) when

- the file is larger than JIANGXIN_XLSX_MAX_FILE_MB (50);
- its parts inflate to more than JIANGXIN_XLSX_MAX_INFLATED_MB (500) together. Every part is
  inflated from its raw deflate stream, counting what comes out and stopping at the limit: the
  sizes the zip directory declares are not trusted (a part can inflate to far more, and python's
  zipfile would stop at the declared size);
- a worksheet's last row is beyond JIANGXIN_XLSX_MAX_ROWS (200,000), its last column beyond
  JIANGXIN_XLSX_MAX_COLUMNS (200), or it has more than JIANGXIN_XLSX_MAX_CELLS (3,000,000) cells
  or a range (last row × last column, what calamine allocates and the import pads to) larger
  than that.

A worksheet is any part with a ``sheetData`` element, wherever the workbook's relationships put
it. Each cell's position is the one calamine computes: its ``r`` attribute (the last one when
there are several: the largest is taken), or, without one, the next column after the previous
cell, in the row after the previous row — counted from the XML, never by building a range.
The declared ``<dimension ref>`` is not a limit: calamine reserves at most 100,000 cells from it
(1,000,000 before 2023), so a sheet declaring A1:XFD1048576 around two cells reads in 12 MB.

Speed (docs/performance.md): a worksheet as Excel, openpyxl or LibreOffice writes it has cells
``<c r="B7" s="1" t="s">``, one ``r``, first. One regular expression per chunk of inflated XML
matches each such cell inside a box within every limit without capturing anything: the
single-letter columns the sheet's first cells use, and as many rows as the limits allow with
them (A–L and 200,000 rows for 12 columns). So the 1.2 million cells of the 100,000-row
benchmark file cost one C-level pass; only cells outside the box are read one by one, and when
the box's bound is over a limit the sheet is read again with every cell's position. Any other
form (no ``r``, ``r`` later or twice, namespace prefixes, single quotes) sends that sheet
through an exact walk that follows calamine's rules, a Python step per tag (about eight times
slower; Excel never writes those forms).
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from core.settings.config import Settings, load_settings
from core.spreadsheet.reading import UnreadableFile

MB = 1 << 20
CHUNK = 1 << 20          # inflated bytes looked at at once
READ = 1 << 16           # compressed bytes read at once
MAX_PARTS = 10_000       # an Excel file has a few dozen; the zip directory is read only below this
MAX_TAG = 1 << 20        # a tag still open after this many bytes is looked at as it is
NAME_PARTS_MAX = 4 * MB  # workbook.xml and its relationships, read to name a sheet
BOX = True               # False: no box, each cell's position is read (tests)
TOO_BIG = 10 ** 9        # any row or column written with more digits or letters than this allows

# fast path: one cell start tag, ``r`` first and alone, double quotes. A cell in the box matches
# without the group (findall gives b""), one outside it captures the rest of its tag, another
# form one character.
_REST = rb'(?: [a-qs-z][^=>"]*+="[^"]*+")*+/?>'  # s="1" t="s": no attribute named r*
_BIG = rb' r="[A-Za-z]+\d+"' + _REST
_PREFIXED = re.compile(rb":c[\s/>]")       # <x:c ...>: calamine ignores the prefix
_SAMPLE_COLUMNS = re.compile(rb'<c r="([A-Za-z])\d')  # the box's columns, from the first cells
_BIG_COLUMNS = re.compile(rb' r="([A-Za-z]+)')
_BIG_ROWS = re.compile(rb' r="[A-Za-z]+0*(\d+)"')

# exact path: one match per cell (its tag, its values, its end), per row tag, per other tag
_P = rb"(?:[^\s/>!?<]*:)?"  # a namespace prefix: calamine compares local names
_A = rb"(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*"  # attributes; quotes may hold > and <
_VALUE = (rb"<" + _P + rb"(?:(?P<n>v|f)(?=[\s/>])" + _A + rb"(?:/>|>[^<]*+</" + _P + rb"(?P=n)\s*>)"
          rb"|is(?=[\s/>])" + _A + rb"(?:/>|>[^<]*+(?:<(?![!?]|/?" + _P + rb"(?:c|row|v|f|is)[\s/>])"
          rb"[^<]*+)*+</" + _P + rb"is\s*>))")
_CELL = re.compile(rb"<" + _P + rb"c(?=[\s/>])(?P<a>" + _A + rb")(?:/>|>[^<]*+(?:(?:" + _VALUE
                   + rb")[^<]*+)*+</" + _P + rb"c\s*>)")
_ROW = re.compile(rb"<" + _P + rb"row(?=[\s/>])(?P<a>" + _A + rb")(?P<e>/?)>")
_ROW_END = re.compile(rb"</" + _P + rb"row\s*>")
_OTHER = re.compile(rb"</?" + _P + rb"(?P<n>[^\s/>!?<:]+)(?=[\s/>])" + _A + rb"/?>")
_R = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(rb"([A-Za-z]*)(\d+)")


class TooLarge(UnreadableFile):
    """The file is over one of the spreadsheet limits; the message names it and what was found."""


@dataclass(frozen=True)
class Limits:
    file_mb: int = Settings.xlsx_max_file_mb
    inflated_mb: int = Settings.xlsx_max_inflated_mb
    rows: int = Settings.xlsx_max_rows
    columns: int = Settings.xlsx_max_columns
    cells: int = Settings.xlsx_max_cells

    @classmethod
    def from_settings(cls) -> Limits:
        s = load_settings()
        return cls(s.xlsx_max_file_mb, s.xlsx_max_inflated_mb, s.xlsx_max_rows,
                   s.xlsx_max_columns, s.xlsx_max_cells)


@dataclass
class Extent:
    """One worksheet part: its last row and column (1-based; 0: no cell) and its cells.

    After the fast path, ``rows`` and ``columns`` may be bounds (``exact`` False): the box's
    size when some cells were inside it; the limits were met either way."""

    part: str
    rows: int = 0
    columns: int = 0
    cells: int = 0
    exact: bool = True


def check_limits(path: str | Path, limits: Limits | None = None) -> list[Extent]:
    """Raise TooLarge when the .xlsx at ``path`` is over a limit, UnreadableFile when it is not a
    zip file this check can read; else return each worksheet part's extent."""
    limits = limits or Limits.from_settings()
    path = Path(path)
    size = path.stat().st_size
    if size > limits.file_mb * MB:
        raise TooLarge(f"文件大小为 {size / MB:.1f} MB，超过 {limits.file_mb} MB 的上限："
                       "请删去多余的内容，或拆分成几个文件后再导入")
    with path.open("rb") as fh:
        parts = _count_parts(fh)
        if parts > MAX_PARTS:
            raise TooLarge(f"文件包含 {parts} 个部件，超过 {MAX_PARTS} 个的上限：不是正常的 Excel 文件，"
                           "请在 Excel 中“另存为”.xlsx 后再导入")
        try:
            book = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise UnreadableFile(f"文件已损坏或不是 .xlsx：{exc}") from exc
        return _Scan(path, fh, book, limits).run()


def _count_parts(fh) -> int:
    """The number of parts the zip directory lists, read from its end record (0 when there is
    none: zipfile then says the file is broken)."""
    fh.seek(0, 2)
    end = fh.tell()
    fh.seek(max(0, end - (1 << 16) - 22))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return 0
    count = struct.unpack_from("<H", tail, at + 10)[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)  # zip64 end record
        fh.seek(offset)
        record = fh.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            count = struct.unpack_from("<Q", record, 32)[0]
    return count


def _column(letters: bytes) -> int:
    if len(letters) > 6:
        return TOO_BIG
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _row(digits: bytes) -> int:
    digits = digits.lstrip(b"0") or b"0"
    return TOO_BIG if len(digits) > 9 else int(digits)


def _letters(column: int) -> str:
    out = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _at_most(n: int) -> bytes:
    """A regular expression for the numbers 1 to ``n`` written without leading zeros."""
    digits = str(n)
    alternatives = [rb"[1-9]\d{0,%d}" % (len(digits) - 2)] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            alternatives.append(b"%s[%d-%d]\\d{%d}" % (digits[:i].encode(), low, int(d) - 1,
                                                        len(digits) - i - 1))
    alternatives.append(digits.encode())
    return b"(?:" + b"|".join(alternatives) + b")"


class _Scan:
    def __init__(self, path: Path, fh, book: zipfile.ZipFile, limits: Limits) -> None:
        self.path, self.fh, self.book, self.limits = path, fh, book, limits
        self.inflated = 0
        self.unboxed = re.compile(rb"<c(" + _BIG + rb"|[\s/>])")

    def box(self, sample: bytes) -> tuple[re.Pattern, int, int]:
        """The fast pattern for a part whose first cells are in ``sample``, its box's rows and
        columns: the single-letter columns those cells use, and as many rows as the limits
        allow with them (at most 200,000 x 12 for 3,000,000 cells and 12 columns)."""
        columns = min(max(map(_column, set(_SAMPLE_COLUMNS.findall(sample))), default=26), 26,
                      self.limits.columns)
        rows = min(self.limits.rows, self.limits.cells // columns)
        if not BOX or rows < 1:
            return self.unboxed, 0, 0
        small = rb' r="[A-%ca-%c]0*+' % (64 + columns, 96 + columns) + _at_most(rows) + b'"' + _REST
        return re.compile(rb"<c(?:" + small + rb"|(" + _BIG + rb"|[\s/>]))"), rows, columns

    def run(self) -> list[Extent]:
        extents = []
        for info in self.book.infolist():
            if info.is_dir():
                continue
            fast = _Fast(self, info.filename, boxed=True)
            for data in self._inflate(info):
                fast.feed(data)
            extent = fast.close()
            if extent is None:
                continue
            if not fast.need_exact and not self._within(extent):
                # the box's bound is over a limit: each cell's row and column, still fast
                fast = _Fast(self, info.filename, boxed=False)
                for data in self._inflate(info, again=True):
                    fast.feed(data)
                extent = fast.close()
            if fast.need_exact:  # a cell written another way: the exact walk
                exact = _Exact(self, info.filename)
                for data in self._inflate(info, again=True):
                    exact.feed(data)
                extent = exact.close()
            extents.append(extent)
        return extents

    def _within(self, extent: Extent) -> bool:
        return extent.rows <= self.limits.rows and extent.columns <= self.limits.columns \
            and extent.cells <= self.limits.cells \
            and extent.rows * extent.columns <= self.limits.cells

    def enforce(self, extent: Extent) -> None:
        """Raise TooLarge when what was found so far (never more than the truth) is over."""
        limits = self.limits
        if extent.columns > limits.columns:
            raise TooLarge(f"表格超过 {limits.columns} 列的上限（{self._label(extent.part)}有 "
                           f"{_count(extent.columns)} 列）：请删去多余的列后再导入")
        if extent.rows > limits.rows:
            raise TooLarge(f"表格超过 {limits.rows} 行的上限（{self._label(extent.part)}有 "
                           f"{_count(extent.rows)} 行）：请删去多余的行，或拆分成几个文件后再导入")
        if extent.cells > limits.cells:
            raise TooLarge(f"表格超过 {limits.cells} 个单元格的上限（{self._label(extent.part)}有 "
                           f"{extent.cells} 个单元格）：请删去多余的内容后再导入")
        if extent.rows * extent.columns > limits.cells:
            corner = f"{_letters(extent.columns)}{extent.rows}"
            raise TooLarge(f"表格超过 {limits.cells} 个单元格的上限（{self._label(extent.part)}从 A1 到 "
                           f"{corner} 共 {extent.rows} 行 × {extent.columns} 列 = "
                           f"{extent.rows * extent.columns} 个单元格）：请删去多余的行或列"
                           "（包括只设了格式的空单元格）后再导入")

    def _inflate(self, info: zipfile.ZipInfo, again: bool = False):
        """The part's bytes, inflated from its raw stream in chunks of at most CHUNK; the total
        over all parts is counted (once) and refused past the limit."""
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnreadableFile(f"文件已损坏或不是 .xlsx：{info.filename} 已加密或使用了不支持的压缩方式")
        fh = self.fh
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise UnreadableFile(f"文件已损坏或不是 .xlsx：找不到 {info.filename}")
        fh.seek(info.header_offset + 30 + sum(struct.unpack_from("<HH", head, 26)))
        left = info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        while left > 0 and not (inflater and inflater.eof):
            raw = fh.read(min(READ, left))
            if not raw:
                break
            left -= len(raw)
            while raw or inflater:
                try:
                    data = inflater.decompress(raw, CHUNK) if inflater else raw
                except zlib.error as exc:
                    raise UnreadableFile(f"文件已损坏或不是 .xlsx：{info.filename} 无法解压") from exc
                if not again:
                    self.inflated += len(data)
                    if self.inflated > self.limits.inflated_mb * MB:
                        raise TooLarge(f"文件解压后的内容超过 {self.limits.inflated_mb} MB 的上限"
                                       f"（解压到 {info.filename} 时超过）：请删去多余的内容，"
                                       "或拆分成几个文件后再导入")
                if data:
                    yield data
                if not inflater:
                    break
                raw = inflater.unconsumed_tail
                if not raw and len(data) < CHUNK:
                    break

    def _label(self, part: str) -> str:
        """第 2 个工作表“名册” for the worksheet at ``part``, or the part's own name."""
        try:
            found = _sheet_names(self.path).get(part.lower())
        except Exception:  # only a name for the message: the part's own will do
            found = None
        return f"第 {found[0]} 个工作表“{found[1]}”" if found else f"工作表 {part} "


def _sheet_names(path: Path) -> dict[str, tuple[int, str]]:
    """part (lower case) -> (position from 1, sheet name), read from the workbook and its
    relationships as calamine finds them, each part read up to NAME_PARTS_MAX bytes."""
    with zipfile.ZipFile(path) as book:
        parts = {i.filename.lower(): i for i in book.infolist()}

        def read(name: str) -> str:
            if name.lower() not in parts:
                return ""
            with book.open(parts[name.lower()]) as part:
                return part.read(NAME_PARTS_MAX).decode("utf-8", "replace")

        def attrs(tag: str) -> dict[str, str]:
            return {k.split(":")[-1]: html.unescape(v)
                    for k, v in re.findall(r"([\w:.-]+)\s*=\s*[\"']([^\"']*)[\"']", tag)}

        def relationships(name: str, folder: str) -> dict[str, tuple[str, str]]:
            found = {}
            for tag in re.findall(r"<(?:\w+:)?Relationship\b([^>]*)>", read(name)):
                a = attrs(tag)
                target = a.get("Target", "")
                target = target[1:] if target.startswith("/") else folder + target
                found[a.get("Id", "")] = (target, a.get("Type", ""))
            return found

        workbook = next((t for t, kind in relationships("_rels/.rels", "").values()
                         if kind.endswith("/officeDocument")), "xl/workbook.xml")
        folder, _, name = workbook.rpartition("/")
        folder = folder + "/" if folder else ""
        targets = relationships(f"{folder}_rels/{name}.rels", folder)
        names = {}
        for position, tag in enumerate(re.findall(r"<(?:\w+:)?sheet\b([^>]*)>", read(workbook)), 1):
            a = attrs(tag)
            target = targets.get(a.get("id", ""), ("", ""))[0]
            if target:
                names[target.lower()] = (position, a.get("name", ""))
        return names


def _count(n: int) -> str:
    return f"{n}" if n < TOO_BIG else "十亿以上"


class _Part:
    """One part's bytes, fed chunk by chunk, from its ``sheetData`` on (calamine ignores what
    comes before); ``_scan`` says how much it used, the rest waits for the next chunk."""

    def __init__(self, scan: _Scan, part: str) -> None:
        self.scan = scan
        self.extent = Extent(part)
        self.pending = b""
        self.started = False
        self.need_exact = False

    def feed(self, data: bytes) -> None:
        if self.need_exact:
            return
        buf = self.pending + data
        if not self.started:
            at = buf.find(b"sheetData")
            if at < 0:
                self.pending = buf[-len(b"sheetData"):]
                return
            self.started, buf = True, buf[at:]
        self.pending = buf[self._scan(buf, final=False):]

    def close(self) -> Extent | None:
        """The part's extent; None when it has no ``sheetData``."""
        if not self.started:
            return None
        if not self.need_exact:
            self._scan(self.pending, final=True)
        return self.extent

    def _scan(self, buf: bytes, final: bool) -> int:
        raise NotImplementedError


class _Fast(_Part):
    """Cells as Excel writes them, with one regular expression (see the module's docstring);
    ``need_exact`` at the first cell written another way."""

    in_box = False  # some cells were in the box: their positions are known to be in it only

    def __init__(self, scan: _Scan, part: str, boxed: bool) -> None:
        super().__init__(scan, part)
        self.boxed = boxed
        self.pattern: re.Pattern | None = None
        self.box_rows = self.box_columns = 0

    def _scan(self, buf: bytes, final: bool) -> int:
        end = len(buf) if final else buf.rfind(b"<")  # the last tag may go on in the next chunk
        if end < 0 or len(buf) - end > MAX_TAG:
            end = len(buf)
        if _PREFIXED.search(buf, 0, end):
            self.need_exact = True
            return end
        if self.pattern is None:
            self.pattern, self.box_rows, self.box_columns = \
                self.scan.box(buf) if self.boxed else (self.scan.unboxed, 0, 0)
        found = self.pattern.findall(buf, 0, end)
        if not found:
            return end
        extent = self.extent
        extent.cells += len(found)
        flagged = list(filter(None, found))  # b"" for each cell in the box
        if len(flagged) < len(found):
            self.in_box = True
        if flagged:
            joined = b"\n".join(flagged)
            if joined.count(b' r="') != len(flagged):  # one character: a cell written otherwise
                self.need_exact = True
                return end
            extent.columns = max(extent.columns, *map(_column, set(_BIG_COLUMNS.findall(joined))))
            extent.rows = max(extent.rows, *map(_row, set(_BIG_ROWS.findall(joined))))
        self.scan.enforce(extent)
        return end

    def close(self) -> Extent | None:
        extent = super().close()
        if extent is not None and self.in_box:
            extent.rows = max(extent.rows, self.box_rows)
            extent.columns = max(extent.columns, self.box_columns)
            extent.exact = False
        return extent


class _Exact(_Part):
    """calamine's own walk through the cells (XlsxCellReader::next_cell): a cell is where its
    ``r`` says (the largest, when there are several), else in the column after the previous
    cell's; ``<row r>`` sets the row for cells without ``r``, a row's end moves to the next row,
    back to column A. One match per cell takes its values too, so no tag inside them counts; a
    file where tags could be hidden from calamine or shown to this walk only (comments, CDATA,
    a cell inside a cell, a cell's or a row's tag out of place) is refused as broken: Excel
    never writes one."""

    row = 0     # calamine's row_index and col_index, from 0
    column = 0

    def _scan(self, buf: bytes, final: bool) -> int:
        extent, end, at = self.extent, len(buf), 0
        row, column, rows, columns, cells = self.row, self.column, extent.rows, extent.columns, 0
        find, cell, r_attrs = buf.find, _CELL.match, _R.search
        while (at := find(b"<", at)) >= 0:
            if (tag := cell(buf, at)) is not None:  # one tuple of locals a cell: the hot loop
                cells += 1
                at = tag.end()
                attrs = tag[1]
                if attrs and r_attrs(attrs) and (refs := _refs(attrs)):
                    here = max(_row(r[2]) for r in refs) - 1
                    column = max(_column(r[1]) for r in refs) - 1
                else:
                    here = row
                if here >= rows:
                    rows = here + 1
                if column >= columns:
                    columns = column + 1
                column += 1
                continue
            if (tag := _ROW.match(buf, at)) is not None:
                if refs := _refs(tag["a"]):
                    row = max(_row(r[2]) for r in refs) - 1
                if tag["e"]:  # <row/>: its end too
                    row, column = row + 1, 0
            elif (tag := _ROW_END.match(buf, at)) is not None:
                row, column = row + 1, 0
            elif (tag := _OTHER.match(buf, at)) is not None and \
                    tag["n"] not in (b"c", b"v", b"f", b"is", b"row"):
                pass
            elif final or end - at > MAX_TAG or buf.startswith((b"<!", b"<?"), at):
                raise UnreadableFile(f"文件已损坏或不是 .xlsx：{extent.part} 中第 {extent.cells + cells + 1} "
                                     "个单元格前后的标签无法读取")
            else:
                break  # it may go on in the next chunk
            at = tag.end()
        else:
            at = end
        self.row, self.column = row, column
        extent.rows, extent.columns, extent.cells = rows, columns, extent.cells + cells
        self.scan.enforce(extent)
        return at


def _refs(attrs: bytes) -> list[re.Match]:
    """Every ``r`` attribute's value that calamine can read as a cell reference."""
    return [m for m in (_REF.fullmatch(a or b) for a, b in _R.findall(attrs)) if m]
