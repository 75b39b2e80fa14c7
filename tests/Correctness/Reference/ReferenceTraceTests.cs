using System.Globalization;
using Xunit;

namespace FastIova.Tests.Correctness.Reference;

/// <summary>
/// The reference model must reproduce every result the kernel recorded in the tree traces; only then may it judge
/// the domain in the differential tests. The loop here is the tests' own, independent of the library's trace reader.
/// </summary>
public sealed class ReferenceTraceTests
{
    public static TheoryData<string> TreeTraces() => [.. TreeTraceFiles.Names()];

    [Theory]
    [MemberData(nameof(TreeTraces))]
    public void Reference_ReproducesRecordedResults(string trace)
    {
        ReferenceIovaDomain? domain = null;
        int lineNumber = 0;
        int checkedOps = 0;
        foreach (string rawLine in TreeTraceFiles.ReadLines(trace))
        {
            lineNumber++;
            string line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int arrow = line.IndexOf("=>", StringComparison.Ordinal);
            Assert.True(arrow >= 0, $"{trace}:{lineNumber}: no recorded result");
            string expected = line[(arrow + 2)..].Trim();
            string[] fields = line[..arrow].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            ulong Arg(int i) => ParseNumber(fields[i]);

            string actual;
            if (fields[0] == "domain")
            {
                domain = new ReferenceIovaDomain(Arg(1), Arg(2));
                actual = "ok";
            }
            else
            {
                Assert.True(domain is not null, $"{trace}:{lineNumber}: op before domain");
                actual = fields[0] switch
                {
                    "alloc" => domain.Alloc(Arg(1), Arg(2), Arg(3) != 0) is ulong pfn ? Format(pfn) : "fail",
                    "free" => domain.Free(Arg(1)) ? "ok" : "none",
                    "find" => domain.Find(Arg(1)) is IovaRange found ? $"{found.PfnLo} {found.PfnHi}" : "none",
                    "reserve" => domain.Reserve(Arg(1), Arg(2)) is IovaRange reserved ? $"{reserved.PfnLo} {reserved.PfnHi}" : "fail",
                    "count" => Format((ulong)domain.Count),
                    _ => throw new InvalidDataException($"{trace}:{lineNumber}: not a tree op: {fields[0]}"),
                };
            }

            if (actual != expected)
            {
                Assert.Fail($"{trace}:{lineNumber}: `{line[..arrow].Trim()}` gave {actual}, kernel recorded {expected}");
            }

            checkedOps++;
        }

        Assert.True(checkedOps > 0, $"{trace}: no operations");
    }

    private static string Format(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static ulong ParseNumber(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
