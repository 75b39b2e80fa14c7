using FastIova.Tests.Correctness.Support;
using Xunit;
using Xunit.Abstractions;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// The steady state allocates no managed memory: magazines circulate between caches, depots and the pool, and the
/// tree reuses its node storage. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>, which other
/// threads cannot disturb.
/// </summary>
public sealed class FastPathAllocationTests(ITestOutputHelper output)
{
    private const int Pairs = 100_000;
    private const ulong Limit = 1 << 20;
    private const int Burst = 64; // more than two 16-pfn magazines: bursts go through the depot and the pool

    [Fact]
    public void ThreadCache_SteadyState_AllocatesNothing()
    {
        using var domain = NewDomain();
        var held = new ulong[Burst];
        AllocationAssert.AllocatesNothing(output, "thread cache", () => Churn(domain, cache: null, held));
    }

    [Fact]
    public void IovaCache_SteadyState_AllocatesNothing()
    {
        using var domain = NewDomain();
        using var cache = domain.CreateCache();
        var held = new ulong[Burst];
        AllocationAssert.AllocatesNothing(output, "owned cache", () => Churn(domain, cache, held));
    }

    /// <summary>
    /// Pairs of every cached and some uncached sizes, then bursts that overflow into the depot, through
    /// <paramref name="cache"/> or the thread's cache; the bursts are freed through the thread's cache, so that with an
    /// owned cache the ranges cross between caches.
    /// </summary>
    private static void Churn(IovaDomain domain, IovaCache? cache, ulong[] held)
    {
        for (int i = 0; i < Pairs; i++)
        {
            ulong size = (ulong)(1 << (i & 7)) - (ulong)(i & 1); // 1..128, odd sizes round up
            Assert.True(TryAllocate(domain, cache, size, out ulong pfn));
            if (cache is null)
                domain.FreeFast(pfn, size);
            else
                cache.FreeFast(pfn, size);
        }

        for (int round = 0; round < 100; round++)
        {
            ulong size = (ulong)(round % 32) + 1;
            for (int i = 0; i < Burst; i++)
                Assert.True(TryAllocate(domain, cache, size, out held[i]));
            for (int i = 0; i < Burst; i++)
                domain.FreeFast(held[i], size);
        }
    }

    private static bool TryAllocate(IovaDomain domain, IovaCache? cache, ulong size, out ulong pfn) =>
        cache is null ? domain.TryAllocateFast(size, Limit, true, out pfn) : cache.TryAllocateFast(size, Limit, true, out pfn);

    [Fact]
    public void SimulatedCpus_SteadyState_AllocateNothing()
    {
        using var domain = NewDomain();
        var held = new ulong[Burst];
        AllocationAssert.AllocatesNothing(output, "simulated CPUs", () =>
        {
            for (int i = 0; i < Pairs; i++)
            {
                var cpu = domain.Cpu(i & 3);
                ulong size = (ulong)(i % 33) + 1;
                Assert.True(cpu.TryAllocateFast(size, Limit, true, out ulong pfn));
                domain.Cpu((i + 1) & 3).FreeFast(pfn, size); // cross-CPU frees
            }

            for (int round = 0; round < 100; round++)
            {
                ulong size = (ulong)(round % 32) + 1;
                for (int i = 0; i < Burst; i++)
                    Assert.True(domain.Cpu(0).TryAllocateFast(size, Limit, true, out held[i]));
                for (int i = 0; i < Burst; i++)
                    domain.Cpu(1).FreeFast(held[i], size);
            }
        });
    }

    [Fact]
    public void TreeAllocateAndFree_OnAWarmDomain_AllocateNothing()
    {
        using var domain = NewDomain();
        var held = new IovaRange[Burst];
        AllocationAssert.AllocatesNothing(output, "tree", () =>
        {
            for (int i = 0; i < Pairs; i++)
            {
                Assert.True(domain.TryAllocate((ulong)(i % 100) + 1, Limit, (i & 1) == 0, out var range));
                Assert.True(domain.Free(range.PfnLo));
            }

            for (int round = 0; round < 100; round++)
            {
                for (int i = 0; i < Burst; i++)
                    Assert.True(domain.TryAllocate((ulong)(i + round) % 50 + 1, Limit, false, out held[i]));
                for (int i = Burst - 1; i >= 0; i -= 2)
                    Assert.True(domain.Free(held[i].PfnHi));
                for (int i = Burst - 2; i >= 0; i -= 2)
                    Assert.True(domain.Free(held[i].PfnLo));
            }
        });
    }

    private static IovaDomain NewDomain() =>
        new(4096, 1, new IovaDomainOptions { CpuCount = 4, MagazineSize = 16, DepotTrimInterval = Timeout.InfiniteTimeSpan });
}
