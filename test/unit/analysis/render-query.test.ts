import { TemplateError, renderQuery, type TemplateModel } from '../../../analysis/templates/render-query.js';

const model: TemplateModel = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo-svc',
  interval: '1m',
  mirrored: 'false',
  variables: { cluster: 'dev', consumer_group: 'my_consumer' },
};

describe('MetricTemplate query rendering (Flagger compatible)', () => {
  it('renders the variables as Flagger templates write them', () => {
    // The cases of Flagger's own pkg/metrics/observers/render_test.go.
    expect(renderQuery('sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}"})', model)).toBe(
      'sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo"})',
    );
    expect(
      renderQuery(
        'delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="{{ variables.cluster }}", consumer_group="{{ variables.consumer_group }}"}[{{ interval }}]))',
        model,
      ),
    ).toBe('delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="dev", consumer_group="my_consumer"}[1m]))');
  });

  it('accepts actions without spaces, every variable, and leaves other braces alone', () => {
    expect(renderQuery('{{name}}|{{namespace}}|{{target}}|{{service}}|{{interval}}|{{mirrored}}', model)).toBe('podinfo|test|podinfo|podinfo-svc|1m|false');
    expect(renderQuery('sluice_requests_total{mirrored="{{ mirrored }}"}', { ...model, mirrored: 'true' })).toBe('sluice_requests_total{mirrored="true"}');
    expect(renderQuery('rate(x{a="b"}[5m]) > {1}', model)).toBe('rate(x{a="b"}[5m]) > {1}');
  });

  it('supports trim markers, comments and string literals as Go templates do', () => {
    expect(renderQuery('a  {{- target -}}  b', model)).toBe('apodinfob');
    expect(renderQuery('x{{/* a comment with }} inside */}}y', model)).toBe('xy');
    expect(renderQuery('{{ "{{" }}target{{ "}}" }}', model)).toBe('{{target}}');
    expect(renderQuery('{{ `raw` }}', model)).toBe('raw');
  });

  it('fails a missing template variable, as Flagger does, naming the ones that are set', () => {
    expect(() => renderQuery('{{ variables.region }}', model)).toThrow(TemplateError);
    expect(() => renderQuery('{{ variables.region }}', model)).toThrow(/no templateVariables.region \(it sets cluster, consumer_group\)/);
  });

  it('explains what is unsupported instead of rendering it wrong', () => {
    expect(() => renderQuery('{{ .namespace }}', model)).toThrow(/without the leading dot/);
    expect(() => renderQuery('{{ ingress }}', model)).toThrow(/Flagger variable that Sluice does not have/);
    expect(() => renderQuery('{{ if true }}x{{ end }}', model)).toThrow(/unsupported template action \{\{ if true \}\}/);
    expect(() => renderQuery('rate(x[{{ interval ]', model)).toThrow(/unclosed action/);
    expect(() => renderQuery('{{ }}', model)).toThrow(/empty action/);
  });
});
