namespace FastIova.Perf.Scaling;

/// <summary>The work of one thread in a scaling run. Every method is called on that thread.</summary>
internal interface IScalingWorker
{
    /// <summary>Sets up the thread's working set (before the start barrier).</summary>
    void Initialize();

    /// <summary>Does a short, fixed amount of work and returns the operations done (one allocation or one free each).</summary>
    long RunChunk();

    /// <summary>Gives back what the thread still holds (after every thread has stopped).</summary>
    void Finish();
}
