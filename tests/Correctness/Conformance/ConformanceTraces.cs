using Xunit;

namespace FastIova.Tests.Correctness.Conformance;

/// <summary>The kernel-recorded traces copied beside the test assembly, split by what they exercise.</summary>
public static class ConformanceTraces
{
    /// <summary>The folder holding the <c>*.trace.gz</c> files.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Traces");

    /// <summary>Families a, b, c, d, g, h, i, j: tree operations only (the core domain).</summary>
    public static TheoryData<string> TreeOnly => Family("abcdghij");

    /// <summary>Families e and f: the fast path on simulated CPUs (the range caches).</summary>
    public static TheoryData<string> FastPath => Family("ef");

    /// <summary>The DMA layer's traces (<c>dma/</c>, families k to r, <c>TRACE-FORMAT-DMA.md</c>).</summary>
    public static TheoryData<string> Dma
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string path in Directory.GetFiles(Path.Combine(Folder, "dma"), "*.trace.gz").Order(StringComparer.Ordinal))
            {
                data.Add(Path.Combine("dma", Path.GetFileName(path)));
            }

            return data;
        }
    }

    /// <summary>The full path of a trace named by file name (relative to the traces folder).</summary>
    public static string PathOf(string fileName) => Path.Combine(Folder, fileName);

    private static TheoryData<string> Family(string letters)
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Folder, "*.trace.gz").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (letters.Contains(name[0], StringComparison.Ordinal))
            {
                data.Add(name);
            }
        }

        return data;
    }
}
