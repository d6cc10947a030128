/** A urlencoded form body as the pages read it: only string fields, each cut to a maximum length. */
export class Form {
  private readonly fields: Readonly<Record<string, unknown>>;

  constructor(body: unknown) {
    this.fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  }

  text(name: string, maxLength: number): string {
    const value = this.fields[name];
    return typeof value === 'string' ? value.slice(0, maxLength) : '';
  }
}
