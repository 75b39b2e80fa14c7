namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>The Coyote scheduling strategies the suite explores with; each finds a different kind of bug first.</summary>
public enum ExplorationStrategy
{
    /// <summary>Uniformly random choice at every scheduling point: broad, but slow to hit narrow windows.</summary>
    Random,

    /// <summary>
    /// PCT (<c>WithPrioritizationStrategy</c>): random priorities with a few priority changes; finds bugs that need one
    /// worker to stall at one point while others run far ahead (the ABA shape) in far fewer iterations.
    /// </summary>
    Prioritization,

    /// <summary>Keeps running the current operation and switches with a small probability: long uninterrupted runs.</summary>
    Probabilistic,
}
