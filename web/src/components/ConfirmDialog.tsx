import { Modal } from './Modal';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirm: string;
  danger?: boolean;
  onConfirm: () => void;
}

export function ConfirmDialog({ req, onClose }: { req: ConfirmRequest; onClose: () => void }) {
  return (
    <Modal title={req.title} onClose={onClose} testId="confirm-dialog">
      <div className="dialog-body">
        <p>{req.message}</p>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={req.danger ? 'danger-button' : 'primary'}
            data-testid="confirm-ok"
            onClick={() => {
              onClose();
              req.onConfirm();
            }}
          >
            {req.confirm}
          </button>
        </div>
      </div>
    </Modal>
  );
}

export interface Notice {
  text: string;
  tone: 'info' | 'error';
}

/** Asks before deleting `key`; the outcome becomes a notice, a refusal with the server's reason (409 while in use). */
export function deleteConfirm(key: string, message: string, remove: () => Promise<void>, done: (notice: Notice, deleted: boolean) => void): ConfirmRequest {
  return {
    title: `Delete ${key}?`,
    message,
    confirm: 'Delete',
    danger: true,
    onConfirm: async () => {
      try {
        await remove();
        done({ text: `Deleted ${key}.`, tone: 'info' }, true);
      } catch (e) {
        done({ text: `Cannot delete ${key}: ${(e as Error).message}`, tone: 'error' }, false);
      }
    },
  };
}
