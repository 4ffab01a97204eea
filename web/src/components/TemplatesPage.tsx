// Settings › Render templates: the list with the files the server refused,
// and one template, viewed, edited and restored.
import { templatesApi } from '../api';
import { routeUrl, type Navigate } from '../route';
import { FileDocPage, FilesList } from './ServedFiles';

const hrefOf = (key: string) => routeUrl({ view: 'template', key });
const LIST = routeUrl({ view: 'settings', page: 'templates' });
// Where a template comes from shows as a badge, not as a field (a PUT drops it).
const HIDDEN = ['source'];

export function TemplatesPage({ navigate }: { navigate: Navigate }) {
  return <FilesList files={templatesApi} title="Render templates" idField="key" hidden={HIDDEN} hrefOf={hrefOf} navigate={navigate} testId="templates" />;
}

export function TemplatePage({ templateKey, navigate }: { templateKey: string; navigate: Navigate }) {
  return (
    <FileDocPage
      files={templatesApi}
      name={templateKey}
      noun="render template"
      idField="key"
      hidden={HIDDEN}
      listHref={LIST}
      listTitle="Render templates"
      navigate={navigate}
      testId="template"
    />
  );
}
