using System.Runtime.CompilerServices;
using FastIova.Locking;
using Xunit;

namespace FastIova.Tests.Correctness.Locking;

/// <summary>
/// The tree lock's count of contended entries (<see cref="IovaStatistics.TreeLockContentions"/>): one per entry that
/// had to wait, none otherwise.
/// </summary>
public sealed class TreeLockTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void UncontendedEntries_CountNothing()
    {
        var treeLock = new TreeLock();
        for (int i = 0; i < 1000; i++)
        {
            treeLock.Enter();
            treeLock.Exit();
        }

        Assert.Equal(0, treeLock.Contentions);
        using var domain = new IovaDomain(4096, 1);
        for (int i = 0; i < 100; i++)
            domain.Free(domain.Allocate(4, domain.Dma32Pfn - 1).PfnLo);
        Assert.Equal(0, domain.GetStatistics().TreeLockContentions);
    }

    [Fact]
    public void AnAllocationThatWaited_CountsOnceInTheStatistics()
    {
        using var domain = new IovaDomain(4096, 1);
        domain.Free(domain.Allocate(4, domain.Dma32Pfn - 1).PfnLo); // compiled now: the waiter blocks on nothing else
        ref TreeLock treeLock = ref TreeLockOf(domain);
        treeLock.Enter();
        var waiter = new Thread(() => domain.Allocate(4, domain.Dma32Pfn - 1));
        waiter.Start();

        // The waiter sleeps between looks once its spinning is over: seen asleep, it is certainly waiting for the lock.
        var deadline = DateTime.UtcNow + s_patience;
        while ((waiter.ThreadState & ThreadState.WaitSleepJoin) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the waiter never started waiting");
            Thread.Yield();
        }

        Assert.Equal(0, treeLock.Contentions);
        treeLock.Exit();
        Assert.True(waiter.Join(s_patience), "the waiter never got the lock");

        IovaStatistics stats = domain.GetStatistics();
        Assert.Equal(2, stats.TreeAllocations);
        Assert.Equal(1, stats.TreeLockContentions);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_treeLock")]
    private static extern ref TreeLock TreeLockOf(IovaDomain domain);
}
