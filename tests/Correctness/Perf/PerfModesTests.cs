using System.Text.Json;
using FastIova.Perf.CommandLine;
using FastIova.Perf.Scaling;
using FastIova.Perf.Scaling.Sources;
using Xunit;

namespace FastIova.Tests.Correctness.Perf;

/// <summary>
/// The perf suite's own modes, run small: each must finish and write the JSON rows the issue specifies (one object
/// per row, those fields). No time is checked: speed is measured by the suite, never asserted in unit tests. They run
/// alone, after the parallel tests: the memory mode reads the whole heap, and the warm-ups wait for a quiet JIT.
/// </summary>
[Collection(PerfModesCollection.Name)]
public sealed class PerfModesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fastiova-perf-" + Guid.NewGuid().ToString("N"));

    public PerfModesTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Scaling_WritesARowPerWorkloadAndThreadCount()
    {
        JsonElement[] rows = Run("scaling", "--threads", "1,2", "--seconds", "0.1");

        Assert.Equal(16, rows.Length); // eight workloads on 1 and 2 threads
        foreach (JsonElement row in rows)
        {
            AssertFields(row, "workload", "impl", "threads", "mops");
            Assert.True(row.GetProperty("mops").GetDouble() > 0, row.ToString());

            // Every impl but the baseline has a tree lock, whose waits the row counts.
            bool hasWaits = row.TryGetProperty("tree_lock_waits_per_s", out JsonElement waits);
            Assert.Equal(row.GetProperty("impl").GetString() != "global-lock", hasWaits);
            Assert.True(!hasWaits || waits.GetDouble() >= 0, row.ToString());
        }

        Assert.Contains(rows, r => r.GetProperty("workload").GetString() == "producer-consumer");
        Assert.Contains(rows, r => r.GetProperty("impl").GetString() == "global-lock");
        Assert.Contains(rows, r => r.GetProperty("impl").GetString() == "dma-lazy");
        Assert.Contains(rows, r => r.GetProperty("impl").GetString() == "dma-strict");
    }

    [Fact]
    public void Scaling_WithRoundsAndImpls_WritesOneMedianRowPerChosenImplAndThreadCount()
    {
        JsonElement[] rows = Run("scaling", "--threads", "1,2", "--seconds", "0.1", "--rounds", "3", "--impl", "fastiova-tree,dma-strict");

        Assert.Equal(4, rows.Length);
        Assert.Equal(["dma-strict", "fastiova-tree"], rows.Select(r => r.GetProperty("impl").GetString()).Distinct().Order());
        Assert.All(rows, row => Assert.True(row.GetProperty("mops").GetDouble() > 0, row.ToString()));
    }

    [Fact]
    public void Scaling_WithAWorkingSetAndQueueSlots_WritesTheirRows()
    {
        JsonElement[] rows = Run("scaling", "--threads", "1", "--seconds", "0.1", "--impl", "fastiova-tree,dma-lazy", "--working-set", "64", "--working-sets", "4", "--dma-queue-slots", "16");

        Assert.Equal(["dma-lazy", "fastiova-tree"], rows.Select(r => r.GetProperty("impl").GetString()).Order());
        Assert.All(rows, row => Assert.True(row.GetProperty("mops").GetDouble() > 0, row.ToString()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(200)]
    public void PerThreadWorker_KeepsItsWorkingSetLive(int workingSet)
    {
        using var domain = new IovaDomain(4096, 1);
        var worker = new PerThreadWorker<TreePathSource>(new TreePathSource(domain, domain.Dma32Pfn - 1), threadIndex: 0, workingSet);

        worker.Initialize();
        Assert.Equal(workingSet, domain.GetStatistics().LiveRanges);
        worker.RunChunk();
        Assert.Equal(workingSet, domain.GetStatistics().LiveRanges);
        worker.Finish();
        Assert.Equal(0, domain.GetStatistics().LiveRanges);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(32, 16)]
    public void PerThreadWorker_KeepsEveryWorkingSetLive(int workingSet, int workingSets)
    {
        using var domain = new IovaDomain(4096, 1);
        var worker = new PerThreadWorker<TreePathSource>(new TreePathSource(domain, domain.Dma32Pfn - 1), threadIndex: 0, workingSet, workingSets);

        worker.Initialize();
        Assert.Equal(workingSet * workingSets, domain.GetStatistics().LiveRanges);
        for (int chunk = 0; chunk < 2 * ScalingSettings.TurnPairs / 64; chunk++)
            worker.RunChunk();
        Assert.Equal(workingSet * workingSets, domain.GetStatistics().LiveRanges);
        worker.Finish();
        Assert.Equal(0, domain.GetStatistics().LiveRanges);
    }

    [Fact]
    public void PerThreadWorker_WorksItsSetsInTurns_EachFromItsOldest()
    {
        var ledger = new Ledger();
        var worker = new PerThreadWorker<LedgerSource>(new LedgerSource(ledger), threadIndex: 0, workingSet: 3, workingSets: 3);
        worker.Initialize(); // set 0 holds pfns 1-3, set 1 pfns 4-6, set 2 pfns 7-9

        long pairs = 0;
        while (pairs < ScalingSettings.TurnPairs)
            pairs += worker.RunChunk() / 2;
        Assert.Equal(ScalingSettings.TurnPairs, pairs);
        Assert.Equal([1UL, 2, 3, 10, 11, 12], ledger.Freed.Take(6));
        Assert.DoesNotContain(ledger.Freed, pfn => pfn is >= 4 and <= 9);

        ledger.Freed.Clear();
        worker.RunChunk();
        Assert.Equal([4UL, 5, 6], ledger.Freed.Take(3)); // set 1's turn, from its oldest (set 0 stopped mid-round)

        worker.Finish();
        Assert.Equal(ledger.Allocated, ledger.FreedTotal);
    }

    [Theory]
    [InlineData("--working-sets", "0")]
    [InlineData("--impl", "no-such-impl")]
    [InlineData("--rounds", "0")]
    [InlineData("--rounds", "abc")]
    [InlineData("--working-set", "0")]
    [InlineData("--working-set", "32,64")]
    [InlineData("--dma-queue-slots", "100")]
    [InlineData("--dma-queue-slots", "2")]
    public void Scaling_RefusesABadChoice(string option, string value) =>
        Assert.NotEqual(0, PerfCommandLine.Run(["scaling", "--threads", "1", "--seconds", "0.1", option, value]));

    [Fact]
    public void Retry_WritesBothSearchesAtBothLimits()
    {
        JsonElement[] rows = Run("retry", "--live", "200,400", "--seconds", "0.05");

        Assert.Equal(8, rows.Length); // 2 sizes x 2 limits x 2 searches
        foreach (JsonElement row in rows)
        {
            AssertFields(row, "workload", "impl", "live", "limit", "ns");
            Assert.Equal("retry-only", row.GetProperty("workload").GetString());
        }

        Assert.Equal(["augmented", "linear-walk"], rows.Select(r => r.GetProperty("impl").GetString()).Distinct().Order());
        Assert.Equal(["32-bit", "64-bit"], rows.Select(r => r.GetProperty("limit").GetString()).Distinct().Order());
    }

    [Fact]
    public void Align_WritesBothSearches()
    {
        JsonElement[] rows = Run("align", "--gaps", "100");

        Assert.Equal(2, rows.Length);
        foreach (JsonElement row in rows)
            AssertFields(row, "workload", "impl", "gaps", "ns");
    }

    [Fact]
    public void Memory_StaysWithinTheBudgetPerRange()
    {
        // Bytes are not time: the budget, at its size, holds on any machine. (The node array grows by
        // doubling, so other sizes can land anywhere between 44 and 88 bytes; perf/README.md, "memory".)
        JsonElement[] rows = Run("memory", "--live", "1000000");

        JsonElement fastIova = Assert.Single(rows, r => r.GetProperty("impl").GetString() == "fastiova (augmented)");
        AssertFields(fastIova, "workload", "impl", "live", "retainedBytesPerRange", "allocatedBytesPerRange");
        Assert.InRange(fastIova.GetProperty("retainedBytesPerRange").GetDouble(), 1, 48);
    }

    private JsonElement[] Run(params string[] args)
    {
        string json = Path.Combine(_folder, args[0] + ".json");
        Assert.Equal(0, PerfCommandLine.Run([.. args, "--json", json]));
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(json));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static void AssertFields(JsonElement row, params string[] names)
    {
        foreach (string name in names)
            Assert.True(row.TryGetProperty(name, out _), $"row {row} lacks '{name}'");
    }

    // Hands out pfns 1, 2, 3, ... and records what is freed, in order.
    private sealed class Ledger
    {
        public ulong Allocated;
        public ulong FreedTotal;
        public List<ulong> Freed { get; } = [];
    }

    private readonly struct LedgerSource(Ledger ledger) : IRangeSource
    {
        public bool TryAllocate(ulong size, out ulong pfn)
        {
            pfn = ++ledger.Allocated;
            return true;
        }

        public void Free(ulong pfn, ulong size)
        {
            ledger.Freed.Add(pfn);
            ledger.FreedTotal++;
        }
    }
}

/// <summary>Runs <see cref="PerfModesTests"/> alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PerfModesCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Perf: serial (modes)";
}
