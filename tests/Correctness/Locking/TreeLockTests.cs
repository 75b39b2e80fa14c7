using FastIova.Locking;
using Xunit;

namespace FastIova.Tests.Correctness.Locking;

/// <summary><see cref="TreeLock"/>'s count of contended entries: one per entry that had to wait, none otherwise.</summary>
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
    }

    [Fact]
    public void AnEntryThatWaited_CountsOnce()
    {
        var box = new LockBox();
        box.Lock.Enter();
        var waiter = new Thread(() =>
        {
            box.Lock.Enter();
            box.Lock.Exit();
        });
        waiter.Start();

        // The waiter sleeps between looks once its spinning is over: seen asleep, it is certainly waiting in Enter.
        var deadline = DateTime.UtcNow + s_patience;
        while ((waiter.ThreadState & ThreadState.WaitSleepJoin) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the waiter never started waiting");
            Thread.Yield();
        }

        Assert.Equal(0, box.Lock.Contentions);
        box.Lock.Exit();
        Assert.True(waiter.Join(s_patience), "the waiter never got the lock");

        box.Lock.Enter();
        Assert.Equal(1, box.Lock.Contentions);
        box.Lock.Exit();
    }

    [Fact]
    public void DomainStatistics_ReportTheTreeLocksContentions()
    {
        using var domain = new IovaDomain(4096, 1);
        for (int i = 0; i < 100; i++)
            domain.Free(domain.Allocate(4, domain.Dma32Pfn - 1).PfnLo);

        Assert.Equal(0, domain.GetStatistics().TreeLockContentions);
    }

    // The lock is a mutable struct: the threads share it through a field of one object, never a copy.
    private sealed class LockBox
    {
        public TreeLock Lock;
    }
}
