import { useEffect, useRef } from 'react';
import { Group, Text } from '@mantine/core';
import cytoscape, { type ElementDefinition, type StylesheetJson } from 'cytoscape';
import type { AttackStory } from '@quell/contracts';

/** Colour and shape per node type (alert, or an entity kind); unknown types fall back to grey. */
const NODE_STYLE: Record<string, { color: string; shape: cytoscape.Css.NodeShape }> = {
  alert: { color: '#e03131', shape: 'diamond' },
  device: { color: '#1971c2', shape: 'round-rectangle' },
  file: { color: '#f08c00', shape: 'rectangle' },
  process: { color: '#9c36b5', shape: 'ellipse' },
  user: { color: '#2f9e44', shape: 'ellipse' },
  mailbox: { color: '#0c8599', shape: 'round-rectangle' },
  ip: { color: '#495057', shape: 'hexagon' },
  url: { color: '#5f3dc4', shape: 'tag' },
  domain: { color: '#364fc7', shape: 'hexagon' },
};
const SEVERITY_COLOR: Record<string, string> = {
  high: '#c92a2a',
  medium: '#e8590c',
  low: '#f59f00',
  informational: '#868e96',
};

const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 10,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-wrap': 'ellipsis',
      'text-max-width': '140px',
      width: 28,
      height: 28,
      'background-color': '#adb5bd',
      color: '#212529',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.7,
      'text-background-padding': '1px',
    },
  },
  ...Object.entries(NODE_STYLE).map(([type, s]) => ({
    selector: `node[type = "${type}"]`,
    style: { 'background-color': s.color, shape: s.shape },
  })),
  ...Object.entries(SEVERITY_COLOR).map(([sev, c]) => ({
    selector: `node[type = "alert"][severity = "${sev}"]`,
    style: { 'background-color': c },
  })),
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': '#ced4da',
      'target-arrow-color': '#ced4da',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      label: 'data(label)',
      'font-size': 8,
      color: '#868e96',
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.8,
      'text-background-padding': '1px',
    },
  },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#364fc7' } },
];

function elements(story: AttackStory): ElementDefinition[] {
  const ids = new Set(story.nodes.map((n) => n.id));
  return [
    ...story.nodes.map((n) => ({
      group: 'nodes' as const,
      data: { id: n.id, label: n.label, type: n.type, ...(n.severity ? { severity: n.severity } : {}) },
    })),
    // An edge to a node the server did not send would make cytoscape throw; drop it instead.
    ...story.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({
        group: 'edges' as const,
        data: { id: e.id, source: e.source, target: e.target, label: e.label },
      })),
  ];
}

/** The attack story: alerts and the entities they share, drawn with cytoscape on a canvas. */
export function AttackStoryGraph({
  story,
  onSelect,
}: {
  story: AttackStory;
  onSelect?: (nodeId: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const cy = cytoscape({
      container: ref.current,
      elements: elements(story),
      style: STYLE,
      layout: {
        name: 'cose',
        animate: false,
        padding: 30,
        nodeRepulsion: () => 60_000,
        idealEdgeLength: () => 70,
        nodeOverlap: 20,
        gravity: 0.4,
        randomize: false,
      },
      minZoom: 0.2,
      maxZoom: 3,
    });
    if (onSelect) cy.on('tap', 'node', (ev) => onSelect(String(ev.target.id())));
    return () => cy.destroy();
  }, [story, onSelect]);

  const types = [...new Set(story.nodes.map((n) => n.type))];
  return (
    <div>
      <div
        ref={ref}
        data-testid="attack-story"
        style={{
          height: 480,
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 4,
          background: '#fcfcfd',
        }}
      />
      <Group gap="md" mt="xs">
        {types.map((t) => (
          <Group key={t} gap={4}>
            <span
              style={{
                display: 'inline-block',
                width: 10,
                height: 10,
                borderRadius: 2,
                background: NODE_STYLE[t]?.color ?? '#adb5bd',
              }}
            />
            <Text size="xs" c="dimmed">
              {t}
            </Text>
          </Group>
        ))}
        <Text size="xs" c="dimmed" ml="auto">
          {story.nodes.length} nodes · {story.edges.length} links · scroll to zoom, drag to move
        </Text>
      </Group>
    </div>
  );
}
