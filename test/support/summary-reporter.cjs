'use strict';
// Mocha's spec reporter plus one plain last line, "N passed, N failed" (mocha's own counts; pending tests are not
// counted as passed). When TICKWIRE_MOCHA_SUMMARY names a file, the line is also written there for .ci/run.
const fs = require('fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const line = `${runner.stats.passes} passed, ${runner.stats.failures} failed`;
      process.stdout.write(`${line}\n`);
      if (process.env.TICKWIRE_MOCHA_SUMMARY) fs.writeFileSync(process.env.TICKWIRE_MOCHA_SUMMARY, `${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
