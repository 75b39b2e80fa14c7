using FastIova.Cli;

return new FastIovaCommand().Parse(args).Invoke();
