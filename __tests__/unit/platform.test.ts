import { parseOsRelease } from '../../src/platform.js';

describe('parseOsRelease', () => {
  it('reads quoted and unquoted fields', () => {
    expect(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n# c\n')).toEqual({
      NAME: 'Ubuntu',
      ID: 'ubuntu',
      VERSION_ID: '24.04'
    });
  });
});
