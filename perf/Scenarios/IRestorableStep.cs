namespace FastIova.Perf.Scenarios;

/// <summary>A measured step that changes the domain, and the untimed step that puts the domain back.</summary>
internal interface IRestorableStep
{
    /// <summary>The step to time.</summary>
    void Run();

    /// <summary>Puts the state back as it was before <see cref="Run"/>.</summary>
    void Restore();
}
